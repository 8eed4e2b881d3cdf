package runtimeapi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestAwaitNext: an invocation ends at the runtime's next GET /next after
// its outcome, not at the outcome; a /next that re-asks for the unanswered
// invocation does not end it.
func TestAwaitNext(t *testing.T) {
	s, base := testServer(t, Options{})
	ctx := context.Background()
	if err := s.AwaitNext(ctx); err != nil {
		t.Fatalf("AwaitNext before any invocation = %v", err)
	}
	out := invokeAsync(ctx, s, Invocation{RequestID: "req-1", Payload: []byte(`{}`)})
	do(t, ctx, "GET", base+testPrefix+"invocation/next", nil, nil)
	// Re-delivery: the runtime asks again before answering.
	if again := do(t, ctx, "GET", base+testPrefix+"invocation/next", nil, nil); again.header.Get(hdrRequestID) != "req-1" {
		t.Fatalf("re-delivery = %d %v", again.status, again.header)
	}
	do(t, ctx, "POST", base+testPrefix+"invocation/req-1/response", strings.NewReader(`"ok"`), nil)
	if o := <-out; o.err != nil || string(o.res.Payload) != `"ok"` {
		t.Fatalf("Invoke = %q %v", o.res.Payload, o.err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	err := s.AwaitNext(short)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("AwaitNext before the next /next = %v, want a deadline error", err)
	}
	// The runtime's next long poll ends the invocation, while it parks.
	pollCtx, stopPoll := context.WithCancel(ctx)
	polled := asyncGet(t, pollCtx, base+testPrefix+"invocation/next", nil)
	defer func() { stopPoll(); <-polled }()
	waitCtx, cancelWait := context.WithTimeout(ctx, 5*time.Second)
	defer cancelWait()
	if err := s.AwaitNext(waitCtx); err != nil {
		t.Fatalf("AwaitNext after the next /next = %v", err)
	}
}
