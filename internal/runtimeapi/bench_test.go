package runtimeapi

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// benchClient is a keep-alive HTTP client like a runtime's.
func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}
}

// emulateRuntime plays a minimal runtime: GET /next, POST the event back as
// the response, until ctx is done. It returns when it has stopped.
func emulateRuntime(ctx context.Context, base string) {
	c := benchClient()
	next := base + "/2018-06-01/runtime/invocation/next"
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, next, nil)
		resp, err := c.Do(req)
		if err != nil {
			return
		}
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		post, _ := http.NewRequestWithContext(ctx, http.MethodPost,
			base+"/2018-06-01/runtime/invocation/"+id+"/response", bytes.NewReader(body))
		resp, err = c.Do(post)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkInvoke measures one warm invocation through the Server: Invoke
// hands the event to the parked /next, the emulated runtime posts it back.
// That is two loopback HTTP exchanges; compare with BenchmarkLoopbackFloor.
func BenchmarkInvoke(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := New(Options{Listener: ln})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		emulateRuntime(ctx, "http://"+ln.Addr().String())
	}()
	defer func() {
		cancel()
		_ = s.Close()
		<-stopped
	}()
	<-s.Ready()

	payload := []byte(`{"key1":"value1","key2":"value2","key3":"value3"}`)
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = "8476a536-e9f4-11e8-9739-" + strconv.Itoa(100000000000+i)
	}
	deadline := time.Now().Add(time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		res, err := s.Invoke(ctx, Invocation{
			RequestID:   ids[i%len(ids)],
			FunctionARN: "arn:aws:lambda:us-east-1:000000000000:function:bench",
			TraceID:     "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
			Deadline:    deadline,
			Payload:     payload,
		})
		if err != nil || len(res.Payload) != len(payload) {
			b.Fatalf("Invoke = %q, %v", res.Payload, err)
		}
	}
}

// BenchmarkLoopbackFloor measures bare loopback HTTP/1.1 exchanges with a
// no-op Go server on this machine (keep-alive, same payload), for
// comparison with BenchmarkInvoke: "get" is one round trip, "get+post" the
// two exchanges a warm invocation needs at the least (the /next answer and
// the /response post).
func BenchmarkLoopbackFloor(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"key1":"value1","key2":"value2","key3":"value3"}`)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusAccepted)
			return
		}
		_, _ = w.Write(payload)
	})}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	defer func() {
		_ = srv.Close()
		<-served
	}()
	c := benchClient()
	url := "http://" + ln.Addr().String() + "/"
	get := func(b *testing.B) {
		resp, err := c.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			get(b)
		}
	})
	b.Run("get+post", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			get(b)
			resp, err := c.Post(url, "application/json", bytes.NewReader(payload))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
