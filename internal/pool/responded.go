package pool

import (
	"context"
	"time"
)

// RespondedWait bounds how long a request waits for an environment of its
// version whose runtime has posted its answer but not yet asked for its
// next event. A runtime normally asks within a millisecond of answering;
// without the wait, a caller that calls again as soon as it is answered
// would find no idle environment and pay a cold start (or, with reserved
// concurrency, a throttle) although one is about to be free.
const RespondedWait = 50 * time.Millisecond

// Responded records that env's runtime has posted its outcome: the
// environment stays busy until its invocation ends (Release), but a
// request that finds no idle environment waits a little for it rather than
// starting another.
func (p *Pool) Responded(env *Environment) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if vp := p.versions[env.Key]; vp != nil && vp.all[env.ID] == env && !env.responded {
		env.responded = true
		vp.responding++
	}
}

// unrespondLocked undoes Responded when env's invocation ends, and wakes
// the requests waiting for an environment of its version.
func (p *Pool) unrespondLocked(env *Environment) {
	if !env.responded {
		return
	}
	env.responded = false
	if vp := p.versions[env.Key]; vp != nil {
		vp.responding--
		if vp.wake != nil {
			close(vp.wake)
			vp.wake = nil
		}
	}
}

// awaitRespondingLocked is called by Acquire with p.mu held when vp has no
// idle environment. If one of vp's environments has answered and is about
// to end its invocation, it waits (without p.mu) until one ends, ctx is
// done or RespondedWait passes, and reports true: the caller then looks
// again. Otherwise it reports false with p.mu still held.
func (p *Pool) awaitRespondingLocked(ctx context.Context, vp *versionPool) bool {
	if vp.responding == 0 {
		return false
	}
	if vp.wake == nil {
		vp.wake = make(chan struct{})
	}
	wake := vp.wake
	vp.waiting++ // undone by backFromWaitLocked
	p.mu.Unlock()
	t := time.NewTimer(RespondedWait)
	defer t.Stop()
	select {
	case <-wake:
	case <-t.C:
	case <-ctx.Done():
	}
	return true
}
