package runtimeapi

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// resumer is a test Thawer: it reads, without waiting, what the runtime's
// connection holds at the moment it is called.
type resumer struct {
	rc    *rawConn // nil: nothing to read
	calls atomic.Int32
	mu    sync.Mutex
	got   string // the request ID of the /next answer found at Thaw
	err   error  // what Thaw returns
}

func (r *resumer) Thaw() error {
	defer r.calls.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rc != nil {
		// The event must already be in the socket: a frozen runtime reads
		// it only after this returns.
		_ = r.rc.c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if resp, err := http.ReadResponse(r.rc.br, nil); err == nil {
			r.got = resp.Header.Get(hdrRequestID)
			_ = resp.Body.Close()
		}
		_ = r.rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	}
	return r.err
}

// Invoke thaws a frozen environment (Invocation.Resume) only once the
// event is written to the runtime's waiting GET /next, and fails with the
// thaw's error.
func TestResumeAfterDelivery(t *testing.T) {
	s, base := testServer(t, Options{})
	ctx := context.Background()
	rc := dialRaw(t, base)
	rc.send(nextReq)
	waitWaiting(t, s, 1)
	r := &resumer{rc: rc}
	out := invokeAsync(ctx, s, Invocation{RequestID: "r1", Payload: []byte(`{}`), Resume: r})
	for range 5000 {
		if r.calls.Load() > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	rc.send("POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n\"ok\"")
	o := <-out
	if o.err != nil || string(o.res.Payload) != `"ok"` {
		t.Fatalf("Invoke = %q %v", o.res.Payload, o.err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls.Load() != 1 || r.got != "r1" {
		t.Fatalf("Thaw called %d times, found event %q in the socket; want once, after r1 was written", r.calls.Load(), r.got)
	}

	// Thawing fails: so does Invoke, and the call is withdrawn.
	rc.send(nextReq)
	waitWaiting(t, s, 1)
	bad := errors.New("thaw failed")
	r2 := &resumer{err: bad}
	if _, err := s.Invoke(ctx, Invocation{RequestID: "r2", Payload: []byte(`{}`), Resume: r2}); !errors.Is(err, bad) || r2.calls.Load() != 1 {
		t.Fatalf("Invoke with a failing thaw = %v after %d thaws, want %v after 1", err, r2.calls.Load(), bad)
	}
	s.mu.Lock()
	cur := s.cur
	s.mu.Unlock()
	if cur != nil {
		t.Fatalf("call %s still current after a failed thaw", cur.id)
	}
}
