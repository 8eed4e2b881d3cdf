package pool

import (
	"context"
	"testing"
)

// A request waiting for an environment that has answered gets it without
// a freeze and a thaw in between; with nobody waiting, a release freezes.
func TestHandoffSkipsFreeze(t *testing.T) {
	p, _, _ := newTestPool(t, Options{})
	spec := testSpec("fn", "$LATEST", "r1", nil)
	first := mustAcquire(t, p, spec)
	p.Responded(first.Env)
	go func() {
		// Release once the request below waits for the environment.
		eventually(t, "a request waiting", func() bool {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.versions[first.Env.Key].waiting == 1
		})
		p.Release(first.Env, true)
	}()
	acq, err := p.Acquire(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if acq.Env != first.Env || acq.Cold {
		t.Fatalf("got environment %s (cold %v), want the answered one %s", acq.Env.ID, acq.Cold, first.Env.ID)
	}
	if n := proc(acq.Env).Freezes(); n != 0 {
		t.Fatalf("handed-over environment was frozen %d times, want 0", n)
	}
	p.Release(acq.Env, true)
	if n := proc(acq.Env).Freezes(); n != 1 || !acq.Env.Frozen() {
		t.Fatalf("released with nobody waiting: %d freezes, frozen %v; want 1, true", n, acq.Env.Frozen())
	}
}

// When more environments are handed over than the waiting requests take,
// the last request back freezes the rest: none stays idle and running.
func TestHandoffLeftoverIsFrozen(t *testing.T) {
	p, _, _ := newTestPool(t, Options{})
	spec := testSpec("fn", "$LATEST", "r1", nil)
	a := mustAcquire(t, p, spec)
	b := mustAcquire(t, p, spec)
	p.Responded(a.Env)
	p.Responded(b.Env)
	// One request waits (as awaitRespondingLocked counts it) while both
	// environments are released.
	p.mu.Lock()
	vp := p.versions[a.Env.Key]
	vp.waiting++
	p.mu.Unlock()
	p.Release(a.Env, true)
	p.Release(b.Env, true)
	if a.Env.Frozen() || b.Env.Frozen() {
		t.Fatalf("released to a waiting request: frozen %v %v, want neither", a.Env.Frozen(), b.Env.Frozen())
	}
	acq, err := p.acquire(context.Background(), spec, true, true) // the request comes back
	if err != nil {
		t.Fatal(err)
	}
	if acq.Env != b.Env {
		t.Fatalf("took %s, want the most recently used %s", acq.Env.ID, b.Env.ID)
	}
	if !a.Env.Frozen() || proc(a.Env).Freezes() != 1 {
		t.Fatalf("environment no request took: frozen %v, %d freezes; want frozen once", a.Env.Frozen(), proc(a.Env).Freezes())
	}
	if b.Env.Frozen() || proc(b.Env).Freezes() != 0 {
		t.Fatalf("environment taken: frozen %v, %d freezes; want never frozen", b.Env.Frozen(), proc(b.Env).Freezes())
	}
	p.mu.Lock()
	waiting := vp.waiting
	p.mu.Unlock()
	if waiting != 0 {
		t.Fatalf("waiting = %d after the request came back, want 0", waiting)
	}
	p.Release(acq.Env, true)
}
