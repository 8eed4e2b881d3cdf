package runtimeapi

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordingStream is a Stream that records what it was given; got is
// closed at the first Write.
type recordingStream struct {
	mu          sync.Mutex // guards contentType and writes
	contentType string
	writes      []string
	first       chan struct{}
}

func (r *recordingStream) Begin(ct string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.contentType = ct
	return nil
}

func (r *recordingStream) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.writes) == 0 {
		close(r.first)
	}
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

// TestStreamedResponse: a streaming /response reaches the Stream while the
// runtime is still sending, and an error in the trailers makes an error
// result.
func TestStreamedResponse(t *testing.T) {
	for _, withError := range []bool{false, true} {
		name := "ok"
		if withError {
			name = "error in trailers"
		}
		t.Run(name, func(t *testing.T) {
			s, base := testServer(t, Options{})
			ctx := context.Background()
			sink := &recordingStream{first: make(chan struct{})}
			out := invokeAsync(ctx, s, Invocation{RequestID: "req-1", Payload: []byte(`{}`), Deadline: time.Now().Add(time.Minute), Stream: sink})
			do(t, ctx, "GET", base+testPrefix+"invocation/next", nil, nil)

			pr, pw := io.Pipe()
			req, _ := http.NewRequest("POST", base+testPrefix+"invocation/req-1/response", pr)
			req.Header.Set("Lambda-Runtime-Function-Response-Mode", "streaming")
			req.Header.Set("Content-Type", "text/plain")
			req.Trailer = http.Header{"Lambda-Runtime-Function-Error-Type": nil, "Lambda-Runtime-Function-Error-Body": nil}
			done := make(chan *http.Response, 1)
			go func() {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
				}
				done <- resp
			}()
			pw.Write([]byte("first "))
			select {
			case <-sink.first: // forwarded while the body is still open
			case <-time.After(10 * time.Second):
				t.Fatal("the first chunk did not reach the stream")
			}
			pw.Write([]byte("second"))
			if withError {
				req.Trailer.Set("Lambda-Runtime-Function-Error-Type", "Function.Boom")
				req.Trailer.Set("Lambda-Runtime-Function-Error-Body", base64.StdEncoding.EncodeToString([]byte(`{"errorType":"Boom"}`)))
			}
			pw.Close()
			if resp := <-done; resp == nil || resp.StatusCode != http.StatusAccepted {
				t.Fatalf("runtime got %v", resp)
			}
			o := <-out
			if o.err != nil || !o.res.Streamed {
				t.Fatalf("result %+v %v", o.res, o.err)
			}
			sink.mu.Lock()
			defer sink.mu.Unlock()
			if strings.Join(sink.writes, "") != "first second" || sink.contentType != "text/plain" {
				t.Fatalf("stream got %q as %q", sink.writes, sink.contentType)
			}
			if withError && (o.res.ErrorType != "Function.Boom" || string(o.res.Payload) != `{"errorType":"Boom"}`) {
				t.Fatalf("error result %+v", o.res)
			}
			if !withError && o.res.ErrorType != "" {
				t.Fatalf("unexpected error %+v", o.res)
			}
		})
	}
}
