package sandbox

import (
	"sync"
	"time"
)

// The ready pool of kept inits follows demand: a burst of cold starts takes
// the inits kept ready, and the keeper refills the pool up to the number of
// Starts seen in the last demandWindow — the recent scale-out — so that the
// next burst finds as many ready, bounded by Options.Prestart. When demand
// falls, the surplus is released one init per shrinkDelay.

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
)

// maxStartsKept bounds the record of recent Starts.
const maxStartsKept = 4096

// demand records recent Starts on the default network.
type demand struct {
	mu     sync.Mutex
	starts []time.Time   // oldest first, at most maxStartsKept
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

// wantKept is how many inits the pool should hold now.
func (m *Manager) wantKept() int {
	d := &m.demand
	d.mu.Lock()
	defer d.mu.Unlock()
	cut := time.Now().Add(-demandWindow)
	i := 0
	for i < len(d.starts) && d.starts[i].Before(cut) {
		i++
	}
	d.starts = d.starts[i:]
	return min(max(len(d.starts), 1), cap(m.kept))
}

// keepInits keeps the ready pool filled until Close. Owned by the Manager:
// Close stops it and waits.
func (m *Manager) keepInits() {
	defer close(m.keeperDone)
	for {
		want, have := m.wantKept(), len(m.kept)
		var wait time.Duration
		switch {
		case have < want:
			pd, err := m.spawnInit(m.opts.Network, defaultEphemeral)
			if err == nil {
				if err = pd.waitReady(); err != nil {
					pd.close()
				}
			}
			if err != nil {
				m.log.Warn("sandbox: cannot prepare an init; starts will spawn their own", "err", err)
				return
			}
			select {
			case m.kept <- pd:
			default: // only the keeper adds: cannot happen
				pd.close()
			}
			wait = refillDelay
		case have > want:
			select {
			case pd := <-m.kept:
				pd.close()
			default:
			}
			wait = shrinkDelay
		default:
			wait = demandWindow
		}
		if !m.keeperPause(wait, have < want) {
			return
		}
	}
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
