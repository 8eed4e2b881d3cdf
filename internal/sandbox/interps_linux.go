package sandbox

import (
	"slices"
	"sync"
	"time"
)

// interpPool holds the pre-started interpreters and what to keep: for
// every runtime (prestart key) with a cold start or an expect in the last interpIdle,
// as many as its cold starts in the last demandWindow, at least one; the
// most recently used runtimes first, all of them together at most max.
type interpPool struct {
	max  int
	wake chan struct{} // buffered (1): a take happened
	// expected (buffered, 1): a runtime is about to be needed (expect).
	expected chan struct{}

	mu     sync.Mutex // guards ready, wanted and booting
	ready  map[string][]*interp
	wanted map[string]*interpDemand
	// booting is the key whose interpreter the keeper is starting, and
	// the channel closed when that start has ended.
	booting     string
	bootingDone chan struct{}
}

// interpDemand is the recent use of one prestart key.
type interpDemand struct {
	tmpl   Spec        // what to start: program, arguments, binds, start-up environment
	starts []time.Time // cold starts in the last demandWindow, oldest first
	last   time.Time
	failed time.Time // the last start that failed; retried after interpRetry
}

// interpRetry is how long the keeper waits before it tries again to
// pre-start an interpreter that failed to start.
var interpRetry = time.Minute

func newInterpPool(max int) *interpPool {
	return &interpPool{max: max, wake: make(chan struct{}, 1), expected: make(chan struct{}, 1), ready: map[string][]*interp{}, wanted: map[string]*interpDemand{}}
}

// take records a cold start of key and returns a ready interpreter of it,
// or nil. The interpreter leaves the pool: it serves spec's function only.
func (ip *interpPool) take(key string, spec Spec) *interp {
	now := time.Now()
	ip.mu.Lock()
	d := ip.demandLocked(key, spec)
	d.last = now
	d.starts = append(d.starts, now)
	got := ip.popLocked(key)
	var booting chan struct{}
	if got == nil && ip.booting == key {
		booting = ip.bootingDone
	}
	ip.mu.Unlock()
	if booting != nil {
		// The keeper is starting one right now: it is further along than
		// an ordinary start begun now would be, and waiting for it does
		// not boot a second interpreter on the same CPUs.
		t := time.NewTimer(bootWait)
		select {
		case <-booting:
		case <-t.C:
		}
		t.Stop()
		ip.mu.Lock()
		got = ip.popLocked(key)
		ip.mu.Unlock()
	}
	select {
	case ip.wake <- struct{}{}:
	default:
	}
	if got != nil && !got.alive() {
		got.close()
		return nil
	}
	return got
}

// demandLocked returns the demand record of key, made from spec if new.
func (ip *interpPool) demandLocked(key string, spec Spec) *interpDemand {
	d := ip.wanted[key]
	if d == nil {
		d = &interpDemand{tmpl: Spec{Path: spec.Path, Args: spec.Args, RuntimeDir: spec.RuntimeDir,
			Binds: spec.Binds, WorkDir: spec.WorkDir, Prestart: spec.Prestart}}
		ip.wanted[key] = d
	}
	return d
}

// expect marks key as wanted now, without a cold start, and wakes the
// keeper at once when no interpreter of it is ready or booting: the cold
// start that follows a new function finds one booting and waits for it
// (take) instead of starting its own.
func (ip *interpPool) expect(key string, spec Spec) {
	ip.mu.Lock()
	d := ip.demandLocked(key, spec)
	d.last = time.Now()
	idle := len(ip.ready[key]) == 0 && ip.booting != key
	ip.mu.Unlock()
	if idle {
		select {
		case ip.expected <- struct{}{}:
		default:
		}
	}
}

// bootWait bounds how long a cold start waits for an interpreter of its
// runtime that is being started.
var bootWait = 2 * time.Second

// popLocked removes and returns a ready interpreter of key, or nil.
func (ip *interpPool) popLocked(key string) *interp {
	list := ip.ready[key]
	if len(list) == 0 {
		return nil
	}
	ip.ready[key] = list[1:]
	return list[0]
}

// boot marks key's interpreter as being started, until the returned
// function is called.
func (ip *interpPool) boot(key string) (done func()) {
	ch := make(chan struct{})
	ip.mu.Lock()
	ip.booting, ip.bootingDone = key, ch
	ip.mu.Unlock()
	return func() {
		ip.mu.Lock()
		ip.booting, ip.bootingDone = "", nil
		ip.mu.Unlock()
		close(ch)
	}
}

// plan returns the next interpreter to start ("" when the pool is as it
// should be) and the ready ones no longer wanted, which the caller closes.
func (ip *interpPool) plan() (key string, tmpl Spec, drop []*interp) {
	now := time.Now()
	ip.mu.Lock()
	defer ip.mu.Unlock()
	keys := make([]string, 0, len(ip.wanted))
	for k, d := range ip.wanted {
		if now.Sub(d.last) > interpIdle {
			delete(ip.wanted, k)
			continue
		}
		i := 0
		for i < len(d.starts) && now.Sub(d.starts[i]) > demandWindow {
			i++
		}
		d.starts = d.starts[i:]
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return ip.wanted[b].last.Compare(ip.wanted[a].last) })
	// One for each runtime, most recent first, then more for those that
	// had several cold starts lately.
	budget := ip.max
	want := map[string]int{}
	for _, k := range keys {
		if budget > 0 {
			want[k], budget = 1, budget-1
		}
	}
	for _, k := range keys {
		n := min(max(len(ip.wanted[k].starts)-1, 0), budget)
		want[k], budget = want[k]+n, budget-n
	}
	for k, list := range ip.ready {
		for len(list) > want[k] {
			drop, list = append(drop, list[len(list)-1]), list[:len(list)-1]
		}
		ip.ready[k] = list
	}
	for _, k := range keys {
		d := ip.wanted[k]
		if len(ip.ready[k]) < want[k] && now.Sub(d.failed) > interpRetry {
			return k, d.tmpl, drop
		}
	}
	return "", Spec{}, drop
}

// put adds a started interpreter; false when it is no longer wanted.
func (ip *interpPool) put(it *interp) bool {
	ip.mu.Lock()
	defer ip.mu.Unlock()
	if _, ok := ip.wanted[it.key]; !ok {
		return false
	}
	ip.ready[it.key] = append(ip.ready[it.key], it)
	return true
}

// failed records that starting key's interpreter failed.
func (ip *interpPool) failed(key string) {
	ip.mu.Lock()
	defer ip.mu.Unlock()
	if d := ip.wanted[key]; d != nil {
		d.failed = time.Now()
	}
}

// drain removes every ready interpreter and returns them.
func (ip *interpPool) drain() []*interp {
	ip.mu.Lock()
	defer ip.mu.Unlock()
	var all []*interp
	for k, list := range ip.ready {
		all = append(all, list...)
		delete(ip.ready, k)
	}
	return all
}

// count is the number of ready interpreters.
func (ip *interpPool) count() int {
	ip.mu.Lock()
	defer ip.mu.Unlock()
	n := 0
	for _, list := range ip.ready {
		n += len(list)
	}
	return n
}

// interpRefillDelay is how long the keeper waits after a take before it
// starts the replacement: the function just handed over is importing its
// handler, and the replacement's boot should not compete with it.
var interpRefillDelay = 20 * time.Millisecond

// keepInterps keeps the pre-started interpreters until Close. Owned by the
// Manager: Close stops it and waits.
func (m *Manager) keepInterps() {
	defer close(m.interpsDone)
	ip := m.interps
	for {
		key, tmpl, drop := ip.plan()
		for _, it := range drop {
			it.close()
		}
		if key != "" {
			booted := ip.boot(key)
			it, err := m.startInterp(key, &tmpl)
			switch {
			case err != nil:
				ip.failed(key)
				m.log.Warn("sandbox: cannot pre-start an interpreter; its runtime starts the ordinary way", "path", tmpl.Path, "err", err)
			case !ip.put(it):
				it.close()
			default:
				m.log.Debug("sandbox: interpreter pre-started", "path", tmpl.Path, "pid", it.pd.cmd.Process.Pid)
			}
			booted()
			if !m.pause(interpRefillDelay, nil) {
				return
			}
			continue
		}
		if !m.awaitInterpWork() {
			return
		}
	}
}

// awaitInterpWork waits up to a minute for a reason to plan again: after a
// take it lets interpRefillDelay pass, after an expect it returns at once.
// False when the Manager is closing.
func (m *Manager) awaitInterpWork() bool {
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	select {
	case <-t.C:
	case <-m.interps.expected:
	case <-m.interps.wake:
		return m.pause(interpRefillDelay, nil)
	case <-m.closing:
		return false
	}
	return true
}

// pause waits d or until wake; false when the Manager is closing.
func (m *Manager) pause(d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-wake:
	case <-m.closing:
		return false
	}
	return true
}

// PrestartedMemoryBytes is the memory the pre-started interpreters hold
// now (their cgroups' usage): they count toward the host's memory like
// the environments do.
func (m *Manager) PrestartedMemoryBytes() uint64 {
	if m.interps == nil {
		return 0
	}
	m.interps.mu.Lock()
	defer m.interps.mu.Unlock()
	var sum uint64
	for _, list := range m.interps.ready {
		for _, it := range list {
			sum += it.pd.cg.usage()
		}
	}
	return sum
}
