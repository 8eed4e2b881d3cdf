package pool

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/errdefs"
)

// A request that arrives while the only environment has answered but not
// yet ended its invocation waits for it instead of starting another one,
// and with reserved concurrency 1 instead of being throttled.
func TestRequestWaitsForRespondedEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name      string
		reserved  *int
		responded bool
		wantCold  bool
		wantErr   bool
	}{
		{"responded reused", nil, true, false, false},
		{"responded reserved 1 reused", intp(1), true, false, false},
		{"busy scales out", nil, false, true, false},
		{"busy reserved 1 throttled", intp(1), false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _, _ := newTestPool(t, Options{})
			spec := testSpec("fn", "$LATEST", "r1", tc.reserved)
			first := mustAcquire(t, p, spec)
			if tc.responded {
				p.Responded(first.Env)
			}
			released := make(chan struct{})
			go func() {
				defer close(released)
				time.Sleep(10 * time.Millisecond)
				p.Release(first.Env, true)
			}()
			acq, err := p.Acquire(context.Background(), spec)
			<-released
			var te *errdefs.ThrottleError
			if tc.wantErr {
				if !errors.As(err, &te) {
					t.Fatalf("err = %v, want a throttle", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if acq.Cold != tc.wantCold {
				t.Fatalf("cold = %v, want %v", acq.Cold, tc.wantCold)
			}
			if !tc.wantCold && acq.Env != first.Env {
				t.Fatalf("got environment %s, want %s", acq.Env.ID, first.Env.ID)
			}
		})
	}
}

// The wait is bounded: a runtime that works on after answering does not
// hold the next request for longer than RespondedWait.
func TestRespondedWaitIsBounded(t *testing.T) {
	p, _, _ := newTestPool(t, Options{})
	spec := testSpec("fn", "$LATEST", "r1", nil)
	first := mustAcquire(t, p, spec)
	p.Responded(first.Env)
	acq := mustAcquire(t, p, spec)
	if !acq.Cold || acq.Env == first.Env {
		t.Fatalf("cold = %v, same environment = %v; want a scale-out", acq.Cold, acq.Env == first.Env)
	}
	p.Release(first.Env, true)
	p.Release(acq.Env, true)
}
