package pool

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/pool/pooltest"
	"github.com/hearth-run/hearth/internal/runtimeapi"
	"github.com/hearth-run/hearth/internal/sandbox"
)

func TestColdStartServesBusyThenWarm(t *testing.T) {
	p, _, _ := newTestPool(t, Options{})
	spec := testSpec("f", "$LATEST", "r1", nil)
	acq := mustAcquire(t, p, spec)
	if !acq.Cold || acq.Reason != ReasonFirst {
		t.Fatalf("first acquisition: cold=%v reason=%q", acq.Cold, acq.Reason)
	}
	if st := acq.Env.State(); st != Busy {
		t.Fatalf("cold-started environment serving its request is %s, want Busy", st)
	}
	res, err := acq.Env.Invoke(context.Background(), runtimeapi.Invocation{RequestID: "r-1",
		Deadline: time.Now().Add(10 * time.Second), Payload: []byte(`"hello"`)})
	if err != nil || string(res.Payload) != `"hello"` {
		t.Fatalf("invoke: %q, %v", res.Payload, err)
	}
	p.Release(acq.Env, true)
	if st := acq.Env.State(); st != Idle {
		t.Fatalf("released environment is %s, want Idle", st)
	}
	again := mustAcquire(t, p, spec)
	if again.Cold || again.Env != acq.Env {
		t.Fatalf("second acquisition: cold=%v same=%v", again.Cold, again.Env == acq.Env)
	}
	if s, _ := snapshot(p, again.Env.ID); s.State != Busy || s.Invocations != 1 {
		t.Fatalf("snapshot %+v", s)
	}
}

func TestAdmission(t *testing.T) {
	tests := []struct {
		name    string
		account int
		// held are functions already holding one environment each.
		held     []*Spec
		next     *Spec
		throttle string // "" = admitted
	}{
		{name: "reserved room", next: testSpec("a", "1", "r", intp(2)),
			held: []*Spec{testSpec("a", "1", "r", intp(2))}},
		{name: "reserved full", throttle: ReasonReservedLimit, next: testSpec("a", "1", "r", intp(2)),
			held: []*Spec{testSpec("a", "1", "r", intp(2)), testSpec("a", "1", "r", intp(2))}},
		{name: "reserved zero", throttle: ReasonReservedLimit, next: testSpec("a", "1", "r", intp(0))},
		{name: "account full", account: 2, throttle: ReasonAccountLimit, next: testSpec("b", "1", "r", nil),
			held: []*Spec{testSpec("b", "1", "r", nil), testSpec("c", "1", "r", nil)}},
		{name: "reservation taken from account", account: 3, throttle: ReasonAccountLimit,
			next: testSpec("b", "1", "r", nil),
			held: []*Spec{testSpec("a", "1", "r", intp(2)), testSpec("b", "1", "r", nil)}},
		{name: "reserved ignores account", account: 3, next: testSpec("a", "1", "r", intp(2)),
			held: []*Spec{testSpec("a", "1", "r", intp(2)), testSpec("b", "1", "r", nil)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, _, _ := newTestPool(t, Options{AccountLimit: tc.account})
			for _, s := range tc.held {
				mustAcquire(t, p, s)
			}
			_, err := p.Acquire(context.Background(), tc.next)
			var te *errdefs.ThrottleError
			switch {
			case tc.throttle == "" && err != nil:
				t.Fatalf("want admitted, got %v", err)
			case tc.throttle != "" && (!errors.As(err, &te) || te.Reason != tc.throttle):
				t.Fatalf("want throttle %s, got %v", tc.throttle, err)
			}
		})
	}
}

func TestProvisionedFirstThenSpilloverThenThrottle(t *testing.T) {
	p, _, _ := newTestPool(t, Options{})
	spec := testSpec("f", "1", "r", intp(2))
	p.SetProvisioned("f", []Target{{Owner: "f:1", Spec: spec, Count: 1}})
	eventually(t, "provisioned ready", func() bool { return p.Provisioned("f:1").Ready == 1 })
	first := mustAcquire(t, p, spec)
	if !first.Provisioned || first.Cold || first.Spillover {
		t.Fatalf("first: %+v", first)
	}
	second := mustAcquire(t, p, spec)
	if second.Provisioned || !second.Cold || !second.Spillover {
		t.Fatalf("second: %+v", second)
	}
	var te *errdefs.ThrottleError
	if _, err := p.Acquire(context.Background(), spec); !errors.As(err, &te) || te.Reason != ReasonReservedLimit {
		t.Fatalf("third: want reserved throttle (1 provisioned + 1 on-demand of 2), got %v", err)
	}
	p.Release(first.Env, true)
	if again := mustAcquire(t, p, spec); again.Env != first.Env || !again.Provisioned {
		t.Fatalf("released provisioned environment not handed out again")
	}
}

func TestReapAtIdleTimeout(t *testing.T) {
	p, _, clock := newTestPool(t, Options{IdleTimeout: time.Minute})
	spec := testSpec("f", "1", "r", nil)
	p.SetProvisioned("g", []Target{{Owner: "g:1", Spec: testSpec("g", "1", "r", nil), Count: 1}})
	eventually(t, "provisioned ready", func() bool { return p.Provisioned("g:1").Ready == 1 })
	acq := mustAcquire(t, p, spec)
	p.Release(acq.Env, true)

	clock.Advance(time.Minute - time.Second)
	p.reapIdle()
	if _, ok := snapshot(p, acq.Env.ID); !ok {
		t.Fatal("environment reaped before its idle timeout")
	}
	clock.Advance(2 * time.Second)
	p.reapIdle()
	if _, ok := snapshot(p, acq.Env.ID); ok {
		t.Fatal("environment kept past its idle timeout")
	}
	if p.Provisioned("g:1").Ready != 1 {
		t.Fatal("provisioned environment reaped for idleness")
	}
	eventually(t, "reaped process stopped", func() bool { return proc(acq.Env).Stopped() })
	if st := acq.Env.State(); st != Stopped {
		t.Fatalf("reaped environment is %s", st)
	}
	if next := mustAcquire(t, p, spec); !next.Cold || next.Reason != ReasonEviction {
		t.Fatalf("after reaping: cold=%v reason=%q", next.Cold, next.Reason)
	}
}

func TestDeadProvisionedReplaced(t *testing.T) {
	p, fs, _ := newTestPool(t, Options{})
	spec := testSpec("f", "1", "r", nil)
	p.SetProvisioned("f", []Target{{Owner: "f:1", Spec: spec, Count: 2}})
	eventually(t, "provisioned ready", func() bool { return p.Provisioned("f:1").Ready == 2 })
	victim := fs.Running()[0]
	victim.Exit(errors.New("signal: killed"))
	eventually(t, "replacement", func() bool { return fs.Starts() == 3 && p.Provisioned("f:1").Ready == 2 })
	for _, s := range p.Environments() {
		if s.ID == victim.ID {
			t.Fatal("dead provisioned environment still listed")
		}
	}
}

func TestProvisionedInitFailureMarksFailed(t *testing.T) {
	p, fs, _ := newTestPool(t, Options{})
	fs.Behave = func(sandbox.Spec) pooltest.Behaviour { return pooltest.InitError }
	p.SetProvisioned("f", []Target{{Owner: "f:1", Spec: testSpec("f", "1", "r", nil), Count: 1}})
	eventually(t, "failure", func() bool { return p.Provisioned("f:1").Failed == StatusFailedInit })
	if n := fs.Starts(); n != 1 {
		t.Fatalf("failed init retried: %d starts", n)
	}
}

func TestUpdateRetiresOldEnvironments(t *testing.T) {
	p, _, _ := newTestPool(t, Options{})
	idle := mustAcquire(t, p, testSpec("f", "$LATEST", "r1", nil))
	busy := mustAcquire(t, p, testSpec("f", "$LATEST", "r1", nil))
	p.Release(idle.Env, true)

	p.FunctionChanged("f", map[string]string{"$LATEST": "r2"})
	eventually(t, "idle old environment stopped", func() bool { return idle.Env.State() == Stopped })
	if st := busy.Env.State(); st != Busy {
		t.Fatalf("busy environment of the old revision is %s; it must finish its request", st)
	}
	p.Release(busy.Env, true)
	eventually(t, "busy old environment stopped after release", func() bool { return busy.Env.State() == Stopped })
	next := mustAcquire(t, p, testSpec("f", "$LATEST", "r2", nil))
	if !next.Cold || next.Reason != ReasonUpdate {
		t.Fatalf("after update: cold=%v reason=%q", next.Cold, next.Reason)
	}
}

func TestInitFailureReleasesConcurrency(t *testing.T) {
	p, fs, _ := newTestPool(t, Options{})
	fs.Behave = func(sandbox.Spec) pooltest.Behaviour { return pooltest.InitExit }
	spec := testSpec("f", "1", "r", intp(1))
	for i := range 3 {
		_, err := p.Acquire(context.Background(), spec)
		var ie *InitError
		if !errors.As(err, &ie) || ie.Type != "Runtime.ExitError" {
			t.Fatalf("attempt %d: want Runtime.ExitError, got %v", i, err)
		}
	}
}

func TestRetireOffRequestPathAndBounded(t *testing.T) {
	p, fs, _ := newTestPool(t, Options{MaxParallelStops: 2})
	gate := make(chan struct{})
	fs.StopGate = gate
	var envs []*Environment
	for range 5 {
		envs = append(envs, mustAcquire(t, p, testSpec("f", "1", "r1", nil)).Env)
	}
	for _, env := range envs {
		p.Release(env, true)
	}
	// Every stop blocks until the gate opens: were they on the request
	// path, the update and the acquisition below would never return.
	p.FunctionChanged("f", map[string]string{"1": "r2"})
	if acq := mustAcquire(t, p, testSpec("f", "1", "r2", nil)); !acq.Cold {
		t.Fatal("want a cold start of the new revision")
	}
	eventually(t, "two stops in progress", func() bool { return fs.Stopping() == 2 })
	close(gate)
	for _, env := range envs {
		eventually(t, "retired environment stopped", func() bool { return env.State() == Stopped })
	}
	if n := fs.MaxConcurrentStops(); n > 2 {
		t.Fatalf("%d stops ran at once, want at most 2", n)
	}
}

func TestCloseDuringInitLeavesNoProcess(t *testing.T) {
	p, fs, _ := newTestPool(t, Options{})
	fs.Behave = func(sandbox.Spec) pooltest.Behaviour { return pooltest.InitHang }
	errc := make(chan error, 1)
	go func() {
		_, err := p.Acquire(context.Background(), testSpec("f", "1", "r", nil))
		errc <- err
	}()
	eventually(t, "process started", func() bool { return len(fs.Running()) == 1 })
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err == nil {
		t.Fatal("acquire during close succeeded")
	}
	if n := len(fs.Running()); n != 0 {
		t.Fatalf("%d processes left running after Close", n)
	}
}

func TestDeadIdleEnvironmentNotHandedOut(t *testing.T) {
	p, _, _ := newTestPool(t, Options{})
	spec := testSpec("f", "1", "r", nil)
	acq := mustAcquire(t, p, spec)
	proc(acq.Env).Exit(errors.New("exit status 1"))
	<-proc(acq.Env).Done()
	p.Release(acq.Env, true) // the holder did not notice the exit
	next := mustAcquire(t, p, spec)
	if next.Env == acq.Env {
		t.Fatal("environment whose process exited was handed out again")
	}
}
