package sandbox

import (
	"time"
)

// ScaleOut is the ready pool's record of the recent scale-out: the most
// Starts seen within one demandWindow, and when it was last seen. A
// Manager given a ScaleOutStore reads it at New and writes it as it
// changes, so that a restarted Hearth sizes its ready pool where the one
// before left it (decayed by the time between) and refills at once,
// instead of meeting the next burst with nothing ready.
type ScaleOut struct {
	Peak int
	At   time.Time
}

// ScaleOutStore keeps a ScaleOut across restarts.
type ScaleOutStore interface {
	// LoadScaleOut returns the ScaleOut saved last; the zero ScaleOut
	// when none was.
	LoadScaleOut() (ScaleOut, error)
	// SaveScaleOut replaces the saved ScaleOut.
	SaveScaleOut(ScaleOut) error
}

// scaleOutSaveEvery bounds how often the keeper writes the scale-out,
// which every Start of a scale-out renews.
var scaleOutSaveEvery = demandWindow

// restore seeds d with so, the scale-out a previous run saved.
func (d *demand) restore(so ScaleOut) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if so.Peak > d.peak {
		d.peak, d.peakAt = so.Peak, so.At
	}
}

// scaleOut is d's record now.
func (d *demand) scaleOut() ScaleOut {
	d.mu.Lock()
	defer d.mu.Unlock()
	return ScaleOut{Peak: d.peak, At: d.peakAt}
}

// loadScaleOut seeds the demand with what the store saved; a store that
// cannot be read leaves the pool to learn demand anew.
func (m *Manager) loadScaleOut() {
	if m.opts.ScaleOut == nil {
		return
	}
	so, err := m.opts.ScaleOut.LoadScaleOut()
	if err != nil {
		m.log.Warn("sandbox: recent scale-out not read; the ready pool starts small", "err", err)
		return
	}
	if so.Peak > 1 {
		m.demand.restore(so)
		m.saved = so
		m.log.Info("sandbox: ready pool sized from the scale-out before the restart", "peak", so.Peak, "seen", so.At)
	}
}

// saveScaleOut writes the scale-out when it changed, at most every
// scaleOutSaveEvery unless final. It is the keeper's (and, once the keeper
// has stopped, Close's); the keeper does not call it during a burst.
func (m *Manager) saveScaleOut(final bool) {
	if m.opts.ScaleOut == nil {
		return
	}
	so := m.demand.scaleOut()
	if (so.Peak == m.saved.Peak && so.At.Equal(m.saved.At)) || (!final && time.Since(m.savedWhen) < scaleOutSaveEvery) {
		return
	}
	if err := m.opts.ScaleOut.SaveScaleOut(so); err != nil {
		m.log.Warn("sandbox: recent scale-out not saved", "err", err)
		return
	}
	m.saved, m.savedWhen = so, time.Now()
}
