package runtimeapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

const testPrefix = "/2018-06-01/runtime/"

// testServer starts a Server on a loopback port and returns it with its
// base URL.
func testServer(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts.Listener = ln
	s := New(opts)
	t.Cleanup(func() { _ = s.Close() })
	return s, "http://" + ln.Addr().String()
}

type reply struct {
	status int
	header http.Header
	body   string
}

// do sends one request and reads the whole answer.
func do(t *testing.T, ctx context.Context, method, url string, body io.Reader, hdr map[string]string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// finishInit makes the runtime's first /next (which parks, then is
// abandoned), so the server is past init.
func finishInit(t *testing.T, s *Server, base string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+testPrefix+"invocation/next", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-s.Ready()
	cancel()
	<-errc
}

// invokeAsync runs Invoke in a goroutine owned by the test.
func invokeAsync(ctx context.Context, s *Server, inv Invocation) <-chan invokeOutcome {
	ch := make(chan invokeOutcome, 1)
	go func() {
		res, err := s.Invoke(ctx, inv)
		ch <- invokeOutcome{res, err}
	}()
	return ch
}

type invokeOutcome struct {
	res Result
	err error
}

func forbidden(from, to string) string {
	return `{"errorMessage":"State transition from ` + from + ` to ` + to +
		` failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}` + "\n"
}

const invalidID = `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}` + "\n"

// TestProtocolStatelessAnswers covers the answers that do not need an
// invocation in flight.
func TestProtocolStatelessAnswers(t *testing.T) {
	tests := []struct {
		name       string
		afterInit  bool
		method     string
		path       string
		body       string
		wantStatus int
		wantBody   string
		wantAllow  string
	}{
		{name: "unknown path", method: "GET", path: "/2018-06-01/runtime/nope",
			wantStatus: 404, wantBody: "404 page not found\n"},
		{name: "other version", method: "GET", path: "/2020-01-01/runtime/invocation/next",
			wantStatus: 404, wantBody: "404 page not found\n"},
		{name: "next with POST", method: "POST", path: testPrefix + "invocation/next",
			wantStatus: 405, wantAllow: "GET"},
		{name: "response with GET", method: "GET", path: testPrefix + "invocation/abc/response",
			wantStatus: 405, wantAllow: "POST"},
		{name: "init error with GET", method: "GET", path: testPrefix + "init/error",
			wantStatus: 405, wantAllow: "POST"},
		{name: "empty id", method: "POST", path: testPrefix + "invocation//response",
			wantStatus: 404, wantBody: "404 page not found\n"},
		{name: "response during init", method: "POST", path: testPrefix + "invocation/abc/response",
			wantStatus: 403, wantBody: forbidden("Started", "InvocationResponse")},
		{name: "error during init", method: "POST", path: testPrefix + "invocation/abc/error",
			wantStatus: 403, wantBody: forbidden("Started", "InvocationErrorResponse")},
		{name: "init error after init", afterInit: true, method: "POST", path: testPrefix + "init/error",
			body: `{"errorMessage":"late"}`, wantStatus: 403, wantBody: forbidden("Running", "InitError")},
		{name: "response with no invocation", afterInit: true, method: "POST",
			path: testPrefix + "invocation/abc/response", body: "{}", wantStatus: 400, wantBody: invalidID},
		{name: "error with no invocation", afterInit: true, method: "POST",
			path: testPrefix + "invocation/abc/error", body: "{}", wantStatus: 400, wantBody: invalidID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base := testServer(t, Options{})
			if tt.afterInit {
				finishInit(t, s, base)
			}
			got := do(t, context.Background(), tt.method, base+tt.path, strings.NewReader(tt.body), nil)
			if got.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %q)", got.status, tt.wantStatus, got.body)
			}
			if tt.wantBody != "" && got.body != tt.wantBody {
				t.Errorf("body = %q, want %q", got.body, tt.wantBody)
			}
			if tt.wantAllow != "" && got.header.Get("Allow") != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got.header.Get("Allow"), tt.wantAllow)
			}
			if tt.wantStatus == 403 || tt.wantStatus == 400 {
				if ct := got.header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
			}
		})
	}
}

func TestInitError(t *testing.T) {
	s, base := testServer(t, Options{})
	const body = `{"errorMessage":"no module","errorType":"Runtime.ImportModuleError"}`
	got := do(t, context.Background(), "POST", base+testPrefix+"init/error", strings.NewReader(body),
		map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"})
	if got.status != 202 || got.body != "{\"status\":\"OK\"}\n" {
		t.Fatalf("init/error = %d %q", got.status, got.body)
	}
	select {
	case b := <-s.InitError():
		if string(b) != body {
			t.Errorf("InitError body = %q", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no InitError")
	}
	for name, path := range map[string]string{"second init error": "init/error"} {
		if got := do(t, context.Background(), "POST", base+testPrefix+path, nil, nil); got.status != 403 ||
			got.body != forbidden("InitError", "InitError") {
			t.Errorf("%s = %d %q", name, got.status, got.body)
		}
	}
	got = do(t, context.Background(), "GET", base+testPrefix+"invocation/next", nil, nil)
	if got.status != 403 || got.body != forbidden("InitError", "Ready") {
		t.Errorf("next after init error = %d %q", got.status, got.body)
	}
	select {
	case <-s.Ready():
		t.Error("Ready closed after init error")
	default:
	}
}
