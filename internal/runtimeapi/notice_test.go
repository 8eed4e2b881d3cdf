package runtimeapi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// answered makes one invocation and has the runtime answer it, leaving the
// invocation to end at the runtime's next GET /next.
func answered(t *testing.T, s *Server, base, id string) {
	t.Helper()
	ctx := context.Background()
	out := invokeAsync(ctx, s, Invocation{RequestID: id, Payload: []byte(`{}`)})
	do(t, ctx, "GET", base+testPrefix+"invocation/next", nil, nil)
	do(t, ctx, "POST", base+testPrefix+"invocation/"+id+"/response", strings.NewReader(`"ok"`), nil)
	if o := <-out; o.err != nil {
		t.Fatalf("Invoke = %v", o.err)
	}
}

// notified registers fn with NotifyNext and returns where its one call
// lands.
func notified(t *testing.T, s *Server, ctx context.Context) <-chan error {
	t.Helper()
	got := make(chan error, 2) // room for a second call, which must not come
	if !s.NotifyNext(ctx, func(err error) { got <- err }) {
		t.Fatal("NotifyNext refused without extensions")
	}
	return got
}

func expectNotice(t *testing.T, got <-chan error) error {
	t.Helper()
	select {
	case err := <-got:
		select {
		case again := <-got:
			t.Fatalf("notice called twice: %v, then %v", err, again)
		case <-time.After(20 * time.Millisecond):
		}
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("notice not called")
		return nil
	}
}

// TestNotifyNext: the notice comes once, with nil, at the runtime's next
// GET /next — on the goroutine serving it, before the long poll parks —
// and not at the outcome; ending the context afterwards calls it no more.
func TestNotifyNext(t *testing.T) {
	s, base := testServer(t, Options{})
	answered(t, s, base, "req-1")
	ctx, cancel := context.WithCancel(context.Background())
	got := notified(t, s, ctx)
	select {
	case err := <-got:
		t.Fatalf("notice before the next /next: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	pollCtx, stopPoll := context.WithCancel(context.Background())
	polled := asyncGet(t, pollCtx, base+testPrefix+"invocation/next", nil)
	defer func() { stopPoll(); <-polled }()
	if err := expectNotice(t, got); err != nil {
		t.Fatalf("notice at the next /next = %v, want nil", err)
	}
	cancel()
	select {
	case err := <-got:
		t.Fatalf("notice again after its context ended: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	// Registered after that /next came, the notice is called at once.
	if err := expectNotice(t, notified(t, s, context.Background())); err != nil {
		t.Fatalf("late notice = %v, want nil", err)
	}
}

// TestNotifyNextEnds: without a next /next, the notice comes once with the
// error that ended the wait: the deadline, the process's exit or Close.
func TestNotifyNextEnds(t *testing.T) {
	cases := []struct {
		name string
		end  func(s *Server, cancel context.CancelFunc)
		want error
	}{
		{"deadline", func(*Server, context.CancelFunc) {}, context.DeadlineExceeded},
		{"exited", func(s *Server, _ context.CancelFunc) { s.Exited() }, context.Canceled},
		{"closed", func(s *Server, _ context.CancelFunc) { _ = s.Close() }, ErrClosed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, base := testServer(t, Options{})
			answered(t, s, base, "req-1")
			timeout := time.Hour
			if tc.want == context.DeadlineExceeded {
				timeout = 30 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			got := notified(t, s, ctx)
			tc.end(s, cancel)
			if err := expectNotice(t, got); !errors.Is(err, tc.want) {
				t.Fatalf("notice = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestExitedEndsInvoke: an invocation in flight ends once the process has
// exited, with an error wrapping context.Canceled, and later ones at once.
func TestExitedEndsInvoke(t *testing.T) {
	s, base := testServer(t, Options{})
	finishInit(t, s, base)
	ctx := context.Background()
	out := invokeAsync(ctx, s, Invocation{RequestID: "req-1", Payload: []byte(`{}`)})
	time.Sleep(20 * time.Millisecond)
	s.Exited()
	select {
	case o := <-out:
		if !errors.Is(o.err, context.Canceled) {
			t.Fatalf("Invoke after exit = %v, want context.Canceled", o.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Invoke did not end at the exit")
	}
	if _, err := s.Invoke(ctx, Invocation{RequestID: "req-2"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Invoke after exit = %v, want context.Canceled", err)
	}
}
