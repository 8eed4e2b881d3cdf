package runtimes

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeEvent is one invocation the fake Runtime API hands out on /next.
type fakeEvent struct {
	id      string
	body    string
	headers map[string]string
}

// posted is what a bootstrap sent back: a response, an invocation error or an init error.
type posted struct {
	kind      string // "response", "error" or "init"
	id        string
	body      string
	errorType string // Lambda-Runtime-Function-Error-Type header
}

// fakeAPI is a hand-written Runtime API (2018-06-01) on real loopback HTTP.
// Events are fed with push; everything posted arrives on results.
type fakeAPI struct {
	srv     *httptest.Server
	events  chan fakeEvent
	results chan posted
	closing chan struct{}
}

func newFakeAPI(t testing.TB) *fakeAPI {
	f := &fakeAPI{
		events:  make(chan fakeEvent, 16),
		results: make(chan posted, 16),
		closing: make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", f.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", f.record("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", f.record("error"))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", f.record("init"))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.close)
	return f
}

// close unblocks pending /next requests and stops the server. Cleanups run
// last-in first-out, so bootstrap processes started later are gone by now.
func (f *fakeAPI) close() {
	close(f.closing)
	f.srv.Close()
}

// addr is the value of AWS_LAMBDA_RUNTIME_API.
func (f *fakeAPI) addr() string { return strings.TrimPrefix(f.srv.URL, "http://") }

func (f *fakeAPI) next(w http.ResponseWriter, r *http.Request) {
	select {
	case ev := <-f.events:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", ev.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:fn")
		h.Set("Content-Type", "application/json")
		for k, v := range ev.headers {
			h.Set(k, v)
		}
		io.WriteString(w, ev.body)
	case <-r.Context().Done():
	case <-f.closing:
		http.Error(w, "closing", http.StatusGone)
	}
}

func (f *fakeAPI) record(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"status":"OK"}`)
		f.results <- posted{kind: kind, id: r.PathValue("id"), body: string(body),
			errorType: r.Header.Get("Lambda-Runtime-Function-Error-Type")}
	}
}

func (f *fakeAPI) push(ev fakeEvent) { f.events <- ev }

// wait returns the next posted result, failing the test after a generous bound.
func (f *fakeAPI) wait(t testing.TB, logs *lockedBuffer) posted {
	t.Helper()
	select {
	case p := <-f.results:
		return p
	case <-time.After(15 * time.Second):
		t.Fatalf("no result from the bootstrap; output:\n%s", logs.String())
		return posted{}
	}
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
