package sandbox

import (
	"errors"
	"runtime"
	"time"
)

// The ready pool follows demand. It holds kept inits (an init in its
// namespaces and cgroup, the shared part of its root mounted) and spares
// (a network namespace with its link and listener, a /tmp disk:
// spare_linux.go). A burst of cold starts takes the kept inits first, then
// the spares, and prepares the rest itself. The keeper refills the pool up
// to its target, the recent scale-out (readypool.go): kept inits up to
// their memory bound, spares for what lies beyond. When the target decays,
// the surplus is released, one init or spare per shrinkDelay.
//
// While a few Starts are under way the keeper prepares one thing at a
// time and pauses twice as long as that took (refillDelay at least) after
// each, so that it takes at most about a core's third from the cold starts
// it prepares for, less on a loaded machine. While more Starts than CPUs
// are under way (a burst, each Start preparing its own) it prepares
// nothing: what it made would serve only Starts after the burst, and would
// slow the burst down. Once no Start came for quietAfter it refills back
// to back, refillWorkers at a time.

// Variables, not constants, so that tests can shorten them.
var (
	// refillDelay is how long the keeper waits after preparing an init
	// before the next while Starts are happening: preparing one is
	// milliseconds of CPU and of the kernel's network locks, which the
	// environments just started need while their bootstraps initialize.
	refillDelay = 10 * time.Millisecond
	// shrinkDelay is how often a surplus init or spare is released.
	shrinkDelay = 250 * time.Millisecond
	// boundEvery is how often the keeper reads the available memory.
	boundEvery = time.Second
	// busyPoll is how often the keeper looks again while a burst of
	// Starts is under way.
	busyPoll = 50 * time.Millisecond
)

// noteStart records a Start and wakes the keeper; startDone records its
// end.
func (m *Manager) noteStart() {
	m.demand.note(time.Now())
	select {
	case m.demand.wake <- struct{}{}:
	default:
	}
}

func (m *Manager) startDone() { m.demand.done(time.Now()) }

// poolPlan is what the keeper aims for: kept inits and spares.
type poolPlan struct {
	target, bound, inits, spares int
	quiet                        bool // no Start lately: refill at full speed
	busy                         bool // a burst of Starts under way: refill nothing
}

// plan sizes the ready pool now. The bound follows the memory available,
// read at most every boundEvery.
func (m *Manager) plan() poolPlan {
	target, active, quiet := m.demand.target(time.Now())
	if time.Since(m.boundAt) >= boundEvery {
		m.bound.Store(int64(min(cap(m.kept), initBound(m.opts.Prestart, memAvailable(), len(m.kept)))))
		m.boundAt = time.Now()
	}
	bound := int(m.bound.Load())
	p := poolPlan{target: target, bound: bound, inits: min(target, bound), quiet: quiet, busy: active > runtime.NumCPU()}
	p.spares = min(max(target-bound, 0), m.spare.max)
	m.target.Store(int64(p.inits))
	return p
}

// keepInits keeps the ready pool filled until Close: first the kept
// inits, then spare namespaces and disks beyond them. Owned by the
// Manager: Close stops it and waits.
func (m *Manager) keepInits() {
	defer close(m.keeperDone)
	var short time.Time // when the pool fell short of its target
	for {
		p := m.plan()
		if !p.busy {
			m.saveScaleOut(false)
		}
		have := len(m.kept)
		var wait time.Duration
		var err error
		refilling := true
		began := time.Now()
		switch {
		case p.busy && (have < p.inits || m.spareShort(p.spares)):
			wait = busyPoll
		case have < p.inits:
			if short.IsZero() {
				short = began
			}
			err = m.keepSome(p, have)
			wait = max(refillDelay, 2*time.Since(began))
		case m.spareShort(p.spares):
			err = m.makeSpare(p.spares)
			wait = max(refillDelay, 2*time.Since(began))
		case have > p.inits:
			select {
			case pd := <-m.kept:
				pd.close()
			default:
			}
			wait, refilling = shrinkDelay, false
		case m.trimSpare(p.spares):
			wait, refilling = shrinkDelay, false
		default:
			if !short.IsZero() && p.inits > 1 {
				m.log.Info("sandbox: ready pool refilled", "inits", have, "target", p.target, "bound", p.bound,
					"took", time.Since(short).Round(time.Millisecond), "memory_mib", m.ReadyPool().MemoryBytes>>20)
			}
			short = time.Time{}
			wait, refilling = demandWindow, false
		}
		if refilling && p.quiet {
			wait = 0
		}
		if err != nil {
			// Starts prepare their own meanwhile; what failed (no free
			// loop device, descriptors, addresses) may come back.
			m.log.Warn("sandbox: cannot prepare ahead; starts will prepare their own", "err", err, "retry_in", demandWindow)
			wait = demandWindow
		}
		if !m.keeperPause(wait, refilling || err != nil) {
			return
		}
	}
}

// ReadyPool reports what the ready pool holds now and aims for.
func (m *Manager) ReadyPool() ReadyPool {
	if m == nil || m.kept == nil {
		return ReadyPool{}
	}
	nets, disks := m.spareCounts()
	inits := len(m.kept)
	return ReadyPool{Inits: inits, Target: int(m.target.Load()), Bound: int(m.bound.Load()),
		SpareNets: nets, SpareDisks: disks,
		MemoryBytes: uint64(inits)*initMemory + uint64(max(nets, disks))*spareMemory}
}

// refillWorkers is how many inits the keeper prepares at once while no
// Start is under way: one per CPU, at most two.
var refillWorkers = min(runtime.NumCPU(), 2)

// keepSome prepares one init, or refillWorkers at once when the machine
// is quiet and the pool short of that many.
func (m *Manager) keepSome(p poolPlan, have int) error {
	n := 1
	if p.quiet {
		n = min(refillWorkers, p.inits-have)
	}
	if n <= 1 {
		return m.keepOne()
	}
	errs := make(chan error, n)
	for range n {
		go func() { errs <- m.keepOne() }()
	}
	var err error
	for range n {
		err = errors.Join(err, <-errs)
	}
	return err
}

// keepOne prepares an init and adds it to the ready pool.
func (m *Manager) keepOne() error {
	pd, err := m.spawnInit(m.opts.Network, defaultEphemeral)
	if err == nil {
		if err = pd.waitReady(); err != nil {
			pd.close()
		}
	}
	if err != nil {
		return err
	}
	select {
	case m.kept <- pd:
	default: // only the keeper adds: cannot happen
		pd.close()
	}
	return nil
}

// trimSpare destroys one spare namespace and one spare disk, of those of
// which more than want are ready, and reports whether it did.
func (m *Manager) trimSpare(want int) bool {
	nets, disks := m.spareCounts()
	var r recycled
	if nets > want {
		r.net = m.takeNet(m.opts.Network)
	}
	if disks > want {
		r.disk = m.takeDisk(defaultEphemeral)
	}
	r.destroy()
	return r.net != nil || r.disk != nil
}

// spareShort reports whether fewer than want namespaces or disks are
// ready.
func (m *Manager) spareShort(want int) bool {
	nets, disks := m.spareCounts()
	return nets < want || (m.mke2fs != "" && disks < want)
}

// keeperPause waits d, or until a Start happens unless refilling (a refill
// paces itself); it reports false when the Manager is closing.
func (m *Manager) keeperPause(d time.Duration, refilling bool) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	wake := m.demand.wake
	if refilling {
		wake = nil
	}
	select {
	case <-t.C:
	case <-wake:
	case <-m.closing:
		return false
	}
	return true
}

// startSpares starts the recycler; the spares' bound follows memory.
func (m *Manager) startSpares() {
	s := &m.spare
	s.nets, s.disks = map[string][]*envNet{}, map[int][]*scratch{}
	s.max = readyBound(maxSpares, spareMemory)
	s.queue, s.done = make(chan recycled, maxSpares), make(chan struct{})
	go m.recycler()
}
