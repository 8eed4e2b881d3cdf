package sandbox

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The ready pool follows demand. It holds kept inits (an init in its
// namespaces and cgroup, the shared part of its root mounted) and spares
// (a network namespace with its link and listener, a /tmp disk:
// spare_linux.go). A burst of cold starts takes the kept inits first, then
// the spares, and prepares the rest itself. The keeper refills both up to
// the number of Starts seen in the last demandWindow — the recent
// scale-out — so that the next burst finds as many ready: kept inits
// first, bounded by Options.Prestart, then spares up to the peak of that
// number over the last spareWindow; both are bounded by memory
// (readyBound). Recycled spares are kept
// up to their bound too. When demand falls, the surplus is released, one
// init and one spare per shrinkDelay.
//
// The keeper prepares one thing at a time and pauses refillDelay after
// each, so that on a small machine it takes at most about a core's third
// from the cold starts it prepares for.

// Variables, not constants, so that tests can shorten them.
var (
	// demandWindow is how far back Starts count toward the pool's size.
	demandWindow = 10 * time.Second
	// refillDelay is how long the keeper waits after preparing an init
	// before the next: preparing one is milliseconds of CPU and of the
	// kernel's network locks, which the environments just started need
	// while their bootstraps initialize.
	refillDelay = 10 * time.Millisecond
	// shrinkDelay is how often a surplus init is released.
	shrinkDelay = 2 * time.Second
	// spareWindow is how long the spares' target stays at the peak of
	// recent demand: spares cost little memory, and a second burst soon
	// after a first is likely.
	spareWindow = time.Minute
)

// maxStartsKept bounds the record of recent Starts.
const maxStartsKept = 4096

// demand records recent Starts on the default network.
type demand struct {
	mu     sync.Mutex
	starts []time.Time   // oldest first, at most maxStartsKept
	peak   int           // the most starts seen within demandWindow lately
	peakAt time.Time     // when peak was last seen or renewed
	wake   chan struct{} // buffered (1): a Start happened
}

// noteStart records a Start and wakes the keeper.
func (m *Manager) noteStart() {
	d := &m.demand
	d.mu.Lock()
	if len(d.starts) == maxStartsKept {
		d.starts = append(d.starts[:0], d.starts[1:]...)
	}
	d.starts = append(d.starts, time.Now())
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// recentStarts is the number of Starts in the last demandWindow, and the
// most seen in any demandWindow during the last spareWindow.
func (m *Manager) recentStarts() (recent, peak int) {
	d := &m.demand
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	cut := now.Add(-demandWindow)
	i := 0
	for i < len(d.starts) && d.starts[i].Before(cut) {
		i++
	}
	d.starts = d.starts[i:]
	if n := len(d.starts); n >= d.peak || now.Sub(d.peakAt) > spareWindow {
		d.peak, d.peakAt = n, now
	}
	return len(d.starts), d.peak
}

// keepInits keeps the ready pool filled until Close: first the kept
// inits, then spare namespaces and disks for the cold starts beyond them
// (recentStarts of each, within their bounds). Owned by the Manager:
// Close stops it and waits.
func (m *Manager) keepInits() {
	defer close(m.keeperDone)
	for {
		want, peak := m.recentStarts()
		inits, have := min(max(want, 1), cap(m.kept)), len(m.kept)
		spares := min(peak, m.spare.max)
		var wait time.Duration
		var err error
		switch {
		case have < inits:
			err = m.keepOne()
			wait = refillDelay
		case m.spareShort(spares):
			err = m.makeSpare(spares)
			wait = refillDelay
		case have > inits:
			select {
			case pd := <-m.kept:
				pd.close()
			default:
			}
			wait = shrinkDelay
		case m.trimSpare(spares):
			wait = shrinkDelay
		default:
			wait = demandWindow
		}
		if err != nil {
			// Starts prepare their own meanwhile; what failed (no free
			// loop device, descriptors, addresses) may come back.
			m.log.Warn("sandbox: cannot prepare ahead; starts will prepare their own", "err", err, "retry_in", demandWindow)
			wait = demandWindow
		}
		if !m.keeperPause(wait, wait == refillDelay || err != nil) {
			return
		}
	}
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

// The ready pool's bounds. What it holds is memory the host cannot use
// otherwise: a kept init's resident memory, a spare's kernel memory (its
// namespace, link, listener and loop device; its image is sparse, on
// disk). Together they take at most readyMemoryShare of the memory
// available when the Manager starts.
const (
	initMemory       = 2<<20 + spareMemory // resident 2 MiB, and its spare
	spareMemory      = 256 << 10
	maxSpares        = 1024
	readyMemoryShare = 8 // 1/8
)

// readyBound is how many of a thing costing each bytes the ready pool may
// hold: at most flag, at least one.
func readyBound(flag, each int) int {
	n := max(flag, 1)
	if avail := memAvailable(); avail > 0 {
		n = min(n, int(avail/readyMemoryShare/uint64(each)))
	}
	return max(n, 1)
}

// memAvailable is the kernel's estimate of the memory available for new
// work, in bytes; 0 when unknown.
func memAvailable() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// startSpares starts the recycler; the spares' bound follows memory.
func (m *Manager) startSpares() {
	s := &m.spare
	s.nets, s.disks = map[string][]*envNet{}, map[int][]*scratch{}
	s.max = readyBound(maxSpares, spareMemory)
	s.queue, s.done = make(chan recycled, maxSpares), make(chan struct{})
	go m.recycler()
}
