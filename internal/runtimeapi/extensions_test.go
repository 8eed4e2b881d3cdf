package runtimeapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

const testExtPrefix = "/2020-01-01/extension/"

// asyncGet runs a GET in a goroutine owned by the test.
func asyncGet(t *testing.T, ctx context.Context, url string, hdr map[string]string) <-chan reply {
	ch := make(chan reply, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			ch <- reply{}
			return
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		ch <- reply{resp.StatusCode, resp.Header, b.String()}
	}()
	return ch
}

// TestExtensionLifecycle: an external extension registers, holds Init
// until it asks for its first event, gets each INVOKE, holds the end of
// the invocation until it asks again, and gets SHUTDOWN.
func TestExtensionLifecycle(t *testing.T) {
	s, base := testServer(t, Options{ExternalExtensions: []string{"ext"},
		Info: ExtensionInfo{FunctionName: "f", FunctionVersion: "$LATEST", Handler: "h"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The runtime is ready, the extension has not registered: no Init end.
	runtimeNext := asyncGet(t, ctx, base+testPrefix+"invocation/next", nil)
	select {
	case <-s.Ready():
		t.Fatal("Init ended before the external extension registered")
	case <-time.After(50 * time.Millisecond):
	}
	reg := do(t, ctx, "POST", base+testExtPrefix+"register", strings.NewReader(`{"events":["INVOKE","SHUTDOWN"]}`),
		map[string]string{"Lambda-Extension-Name": "ext"})
	id := reg.header.Get("Lambda-Extension-Identifier")
	if reg.status != 200 || id == "" || reg.body != `{"functionName":"f","functionVersion":"$LATEST","handler":"h"}` {
		t.Fatalf("register = %d %q %q", reg.status, id, reg.body)
	}
	if in, ex := s.Extensions(); in != 0 || ex != 1 {
		t.Fatalf("Extensions() = %d, %d", in, ex)
	}
	extHdr := map[string]string{"Lambda-Extension-Identifier": id}
	extNext := asyncGet(t, ctx, base+testExtPrefix+"event/next", extHdr)
	<-s.Ready()

	out := invokeAsync(ctx, s, Invocation{RequestID: "req-1", FunctionARN: "arn:f", TraceID: "Root=1-x", Payload: []byte(`{}`)})
	var ev struct {
		EventType, RequestID, InvokedFunctionArn string
		Tracing                                  struct{ Type, Value string }
	}
	got := <-extNext
	if err := json.Unmarshal([]byte(got.body), &ev); err != nil || ev.EventType != "INVOKE" || ev.RequestID != "req-1" ||
		ev.InvokedFunctionArn != "arn:f" || ev.Tracing.Value != "Root=1-x" {
		t.Fatalf("extension event = %d %q", got.status, got.body)
	}
	if r := <-runtimeNext; r.header.Get(hdrRequestID) != "req-1" {
		t.Fatalf("runtime next = %v", r.header)
	}
	do(t, ctx, "POST", base+testPrefix+"invocation/req-1/response", strings.NewReader(`"ok"`), nil)
	<-out
	runtimeNext = asyncGet(t, ctx, base+testPrefix+"invocation/next", nil)
	// The runtime asked again; the extension has not: not over yet.
	short, stop := context.WithTimeout(ctx, 100*time.Millisecond)
	err := s.AwaitNext(short)
	stop()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("AwaitNext with a working extension = %v", err)
	}
	extNext = asyncGet(t, ctx, base+testExtPrefix+"event/next", extHdr)
	wait, stop := context.WithTimeout(ctx, 5*time.Second)
	defer stop()
	if err := s.AwaitNext(wait); err != nil {
		t.Fatalf("AwaitNext once the extension asked = %v", err)
	}

	done := make(chan struct{})
	go func() { s.Shutdown(wait, ShutdownSpindown); close(done) }()
	if got := <-extNext; !strings.HasPrefix(got.body, `{"eventType":"SHUTDOWN","shutdownReason":"spindown","deadlineMs":`) {
		t.Fatalf("shutdown event = %q", got.body)
	}
	<-done // the extension hung up: Shutdown returns before its deadline
	if wait.Err() != nil {
		t.Fatal("Shutdown waited for its deadline")
	}
}

// TestExtensionRegisterErrors: Lambda's refusals.
func TestExtensionRegisterErrors(t *testing.T) {
	s, base := testServer(t, Options{})
	ctx := context.Background()
	if r := do(t, ctx, "POST", base+testExtPrefix+"register", strings.NewReader(`{}`), nil); r.status != 403 {
		t.Errorf("register without a name = %d", r.status)
	}
	if r := do(t, ctx, "POST", base+testExtPrefix+"register", strings.NewReader(`{"events":["NOPE"]}`),
		map[string]string{"Lambda-Extension-Name": "x"}); r.status != 400 {
		t.Errorf("register for an unknown event = %d", r.status)
	}
	if r := do(t, ctx, "GET", base+testExtPrefix+"event/next", nil,
		map[string]string{"Lambda-Extension-Identifier": "nobody"}); r.status != 403 {
		t.Errorf("next of an unknown extension = %d", r.status)
	}
	finishInit(t, s, base)
	if r := do(t, ctx, "POST", base+testExtPrefix+"register", strings.NewReader(`{}`),
		map[string]string{"Lambda-Extension-Name": "late"}); r.status != 403 {
		t.Errorf("register after Init = %d", r.status)
	}
	if in, ex := s.Extensions(); in != 0 || ex != 0 {
		t.Errorf("Extensions() = %d, %d", in, ex)
	}
}
