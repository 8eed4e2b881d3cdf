package pool

import "context"

// AcquireFrozen is Acquire for a caller that thaws the environment itself,
// once it has handed it its event (Environment.Thaw): a warm environment
// comes back as it was, possibly still frozen. Written first, the event is
// waiting in the socket when the runtime resumes, so that the runtime finds
// it at once instead of going back to sleep and being woken again; and the
// SIGCONT, which wakes every thread of the runtime, no longer comes between
// the request and the event's delivery.
func (p *Pool) AcquireFrozen(ctx context.Context, spec *Spec) (Acquisition, error) {
	return p.acquire(ctx, spec, false, false)
}

// Thaw resumes the environment if it is frozen; see AcquireFrozen. It is
// safe to call on a running environment, and more than once.
func (e *Environment) Thaw() error { return e.thaw() }
