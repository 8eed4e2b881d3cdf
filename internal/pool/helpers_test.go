package pool

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/logs"
	"github.com/hearth-run/hearth/internal/pool/pooltest"
	"github.com/hearth-run/hearth/internal/sandbox"
)

// fakeStarter adapts pooltest's fake processes to Starter.
type fakeStarter struct{ *pooltest.Starter }

func (f fakeStarter) Start(spec sandbox.Spec) (Process, error) {
	p, err := f.Starter.Start(spec)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newTestPool returns a pool on fake processes and a fake clock, closed
// when the test ends. The reaper's own ticker is slowed to an hour so that
// only the test reaps (with reapIdle).
func newTestPool(t testing.TB, opts Options) (*Pool, *pooltest.Starter, *fakeClock) {
	t.Helper()
	ls, err := logs.Open(logs.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	fs := &pooltest.Starter{}
	clock := newFakeClock()
	opts.Logs = ls
	opts.Starter = fakeStarter{fs}
	opts.Now = clock.Now
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = 10 * time.Hour
	}
	opts.Logger = slog.New(slog.DiscardHandler)
	p := New(opts)
	t.Cleanup(func() { _ = p.Close() })
	return p, fs, clock
}

func intp(n int) *int { return &n }

// testSpec is a spec of function fn at revision rev.
func testSpec(fn, version, rev string, reserved *int) *Spec {
	return &Spec{Function: fn, Version: version, Revision: rev, Reserved: reserved,
		Sandbox: sandbox.Spec{Path: "/var/task/bootstrap"}}
}

// mustAcquire acquires or fails the test.
func mustAcquire(t testing.TB, p *Pool, spec *Spec) Acquisition {
	t.Helper()
	acq, err := p.Acquire(context.Background(), spec)
	if err != nil {
		t.Fatalf("acquire %s: %v", spec.Function, err)
	}
	return acq
}

// eventually polls cond for up to 10 s; the fakes act in goroutines.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// snapshot returns the pool's view of one environment.
func snapshot(p *Pool, id string) (Snapshot, bool) {
	for _, s := range p.Environments() {
		if s.ID == id {
			return s, true
		}
	}
	return Snapshot{}, false
}

// proc is the fake process of an environment.
func proc(env *Environment) *pooltest.Process {
	env.mu.Lock()
	defer env.mu.Unlock()
	return env.proc.(*pooltest.Process)
}
