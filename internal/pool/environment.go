package pool

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hearth-run/hearth/internal/activity"
	"github.com/hearth-run/hearth/internal/logs"
	"github.com/hearth-run/hearth/internal/runtimeapi"
)

// Environment is one execution environment: a bootstrap process tree, its
// Runtime API server and its log stream.
type Environment struct {
	ID          string
	Key         string // function:version
	Function    string
	Version     string
	Revision    string
	StreamName  string
	Provisioned bool

	// The fields below are guarded by the Pool's mu.
	// target is the provisioning target a provisioned environment serves.
	target string
	// ready is set once a provisioned environment finished Init.
	ready bool
	// countedUnreserved says the environment is counted, while active, in
	// the pool's unreservedActive, so that Release undoes exactly what the
	// start or take did even if the reservation changed meanwhile.
	countedUnreserved bool
	// countedActive says the environment is counted in the pool's active;
	// Starting and Busy on-demand environments are.
	countedActive bool
	// responded says the runtime has posted the outcome of the current
	// invocation, which ends at its next request for an event.
	responded bool
	// handoff says the environment was released, idle and not frozen, to a
	// request waiting for it (see handoff.go).
	handoff bool

	// proc, rapi, stream, ctx and cancel are set by start under mu, before
	// the environment is handed out; afterwards they do not change.
	proc   Process
	rapi   *runtimeapi.Server
	stream *logs.Stream
	// ctx is cancelled when the bootstrap process exits, so that an
	// invocation waiting on the Runtime API ends at once.
	ctx    context.Context
	cancel context.CancelFunc

	created      time.Time
	initDuration time.Duration
	setup        time.Duration // sandbox start, part of initDuration
	prestarted   bool          // its interpreter was started ahead (sandbox.Prestart)
	runtime      string
	// coldReason is why an on-demand environment was started.
	coldReason string
	// events hears of the environment's Init, freezing and end.
	events *activity.Bus

	// freezeMu serialises freezing and thawing the process tree. It is
	// held across the freezer's syscalls; mu is not.
	freezeMu sync.Mutex

	mu sync.Mutex // guards the fields below
	// state is the lifecycle state; changed only through setState.
	state State
	// frozen says whether the process tree is currently frozen.
	frozen bool
	// freezeTimer freezes the environment after Options.FreezeDelay idle.
	freezeTimer *time.Timer
	lastUsed    time.Time
	invocations int
	// endReason says why the environment is being stopped; see ending.
	endReason string
}

// State returns the environment's lifecycle state.
func (e *Environment) State() State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state
}

// setState moves the environment to state to; e.mu must be held.
func (e *Environment) setState(to State) error {
	if err := transition(e.state, to); err != nil {
		return fmt.Errorf("environment %s: %w", e.ID, err)
	}
	e.state = to
	return nil
}

// Frozen reports whether the environment's processes are frozen now.
func (e *Environment) Frozen() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.frozen
}

// Pid returns the process ID of the environment's bootstrap (or init), or
// 0 before it started.
func (e *Environment) Pid() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.proc == nil {
		return 0
	}
	return e.proc.Pid()
}

// Stream returns the environment's log stream.
func (e *Environment) Stream() *logs.Stream { return e.stream }

// InitDuration is how long Init took: from starting the bootstrap to its
// first request for work.
func (e *Environment) InitDuration() time.Duration { return e.initDuration }

// SetupDuration is the part of InitDuration spent creating the sandbox.
func (e *Environment) SetupDuration() time.Duration { return e.setup }

// Invoke runs one invocation. The caller holds the environment (Acquire)
// and sets the deadline on ctx; Invoke also ends when the process exits.
func (e *Environment) Invoke(ctx context.Context, inv runtimeapi.Invocation) (runtimeapi.Result, error) {
	return e.rapi.Invoke(ctx, inv)
}

// AwaitNext waits until the runtime asks for its next invocation, which
// ends the one it last answered. It fails when ctx ends (the deadline) or
// the process exits first.
func (e *Environment) AwaitNext(ctx context.Context) error {
	return e.rapi.AwaitNext(ctx)
}

// NotifyNext is AwaitNext without a waiting goroutine: fn is called once
// the runtime asks for its next invocation (on the goroutine serving that
// request), or with the error when ctx ends or the process exits first. It
// reports false, and does nothing, when the environment has extensions;
// the caller then waits with AwaitNext.
func (e *Environment) NotifyNext(ctx context.Context, fn func(error)) bool {
	return e.rapi.NotifyNext(ctx, fn)
}

// Emit hands a platform event to the environment's Telemetry API
// subscribers; record is called only when there are any.
func (e *Environment) Emit(eventType string, record func() any) {
	if e.rapi != nil && e.rapi.Subscribed() {
		e.rapi.Emit(eventType, record())
	}
}

// Exited reports whether the bootstrap process has exited, and how.
func (e *Environment) Exited() (exited bool, oom bool, err error) {
	if e.proc == nil {
		return false, false, nil
	}
	select {
	case <-e.proc.Done():
		return true, e.proc.OOMKilled(), e.proc.ExitError()
	default:
		return false, false, nil
	}
}

// exited reports whether the bootstrap has exited; cheap, for Release.
func (e *Environment) exited() bool {
	if e.proc == nil {
		return false
	}
	select {
	case <-e.proc.Done():
		return true
	default:
		return false
	}
}

// SyncOutput lets the log stream catch up with what the function wrote
// before its invocation ended (waiting at most a few milliseconds).
func (e *Environment) SyncOutput() {
	if e.proc != nil {
		e.proc.SyncOutput(10 * time.Millisecond)
	}
}

// OOMKilled reports whether the memory limit has killed a process of the
// environment.
func (e *Environment) OOMKilled() bool {
	return e.proc != nil && e.proc.OOMKilled()
}

// MaxMemoryBytes is the peak memory of the environment so far.
func (e *Environment) MaxMemoryBytes() uint64 {
	if e.proc == nil {
		return 0
	}
	return e.proc.MaxMemoryBytes()
}

// freeze freezes an idle environment; it runs from the freeze timer.
func (e *Environment) freeze() {
	e.freezeMu.Lock()
	defer e.freezeMu.Unlock()
	e.mu.Lock()
	idle := e.state == Idle && !e.frozen
	e.mu.Unlock()
	if !idle {
		return
	}
	// Taken meanwhile? thaw waits on freezeMu and undoes this at once.
	if err := e.proc.Freeze(); err == nil {
		e.mu.Lock()
		e.frozen = true
		e.mu.Unlock()
		e.publish(activity.Event{Kind: activity.Freeze})
	}
}

// thaw makes sure a taken environment runs. It is called without the
// pool's lock held, so a slow freezer never stalls other acquisitions.
func (e *Environment) thaw() error {
	e.freezeMu.Lock()
	defer e.freezeMu.Unlock()
	e.mu.Lock()
	frozen := e.frozen
	e.frozen = false
	e.mu.Unlock()
	if !frozen {
		return nil
	}
	return e.proc.Thaw()
}

// scheduleFreeze freezes the idle environment after delay; e.mu must be held.
func (e *Environment) scheduleFreeze(delay time.Duration) {
	if e.freezeTimer == nil {
		e.freezeTimer = time.AfterFunc(delay, e.freeze)
		return
	}
	e.freezeTimer.Reset(delay)
}
