package sandbox

import (
	"errors"
	"sync"
	"time"
)

// Spares are network namespaces (with their link and Runtime API
// listener) and /tmp disks ready for new environments. Making them costs
// milliseconds of CPU and of the kernel's rtnl lock per cold start; taking
// a spare costs nothing. The keeper makes spares ahead of demand, and the
// recycler resets those of environments that ended (recycle_linux.go)
// and keeps them, up to a bound; what cannot be reset safely is
// destroyed. The kept inits draw on the spares too.

// recycleRetry is how often the recycler looks again at a namespace or a
// disk its environment has not quite let go of (a connection Hearth is
// still closing, a filesystem still being unmounted), and recycleTries
// how often before it gives up and destroys it.
var (
	recycleRetry = 20 * time.Millisecond
	recycleTries = 50
)

// errNotYet is a spare whose previous environment still holds on to it;
// the recycler tries again later.
var errNotYet = errors.New("still in use")

// spares holds the ready namespaces and disks of a Manager.
type spares struct {
	mu     sync.Mutex           // guards nets, disks and closed
	nets   map[string][]*envNet // by network ("nat", "none")
	disks  map[int][]*scratch   // by size in MB
	closed bool                 // Close has run: spares are destroyed at once
	max    int                  // bound of each kind, from memory and Prestart

	queue chan recycled // environments' leftovers for the recycler
	done  chan struct{} // closed when the recycler has returned
}

// recycled is one namespace or disk to reset, with its attempts so far.
type recycled struct {
	net   *envNet
	disk  *scratch
	tries int
}

func (r recycled) destroy() {
	if r.net != nil {
		r.net.destroy()
	}
	r.disk.release()
}

// takeNet returns a spare namespace of network, or nil.
func (m *Manager) takeNet(network string) *envNet {
	s := &m.spare
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.nets[network]
	if len(l) == 0 {
		return nil
	}
	en := l[len(l)-1]
	s.nets[network] = l[:len(l)-1]
	return en
}

// takeDisk returns a spare disk of sizeMB, or nil.
func (m *Manager) takeDisk(sizeMB int) *scratch {
	s := &m.spare
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.disks[sizeMB]
	if len(l) == 0 {
		return nil
	}
	d := l[len(l)-1]
	s.disks[sizeMB] = l[:len(l)-1]
	return d
}

// spareCounts is how many namespaces of the default network and disks
// of the default size are ready.
func (m *Manager) spareCounts() (nets, disks int) {
	s := &m.spare
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.nets[m.opts.Network]), len(s.disks[defaultEphemeral])
}

// putSpare keeps a ready namespace or disk, or destroys it when the
// spares are full or closed.
func (m *Manager) putSpare(r recycled) {
	s := &m.spare
	s.mu.Lock()
	keep := !s.closed
	if keep && r.net != nil {
		keep = len(s.nets[r.net.network]) < s.max
		if keep {
			s.nets[r.net.network] = append(s.nets[r.net.network], r.net)
		}
	}
	if keep && r.disk != nil {
		keep = len(s.disks[r.disk.sizeMB]) < s.max
		if keep {
			s.disks[r.disk.sizeMB] = append(s.disks[r.disk.sizeMB], r.disk)
		}
	}
	s.mu.Unlock()
	if !keep {
		r.destroy()
	}
}

// recycle hands what an ended environment (or an unused init) leaves to
// the recycler. Every process that used it must be gone. Either may be nil.
func (m *Manager) recycle(en *envNet, disk *scratch) {
	r := recycled{net: en, disk: disk}
	if en == nil && disk == nil {
		return
	}
	s := &m.spare
	s.mu.Lock()
	sent := false
	if !s.closed && s.queue != nil {
		select {
		case s.queue <- r:
			sent = true
		default: // the recycler is far behind: make new ones later
		}
	}
	s.mu.Unlock()
	if !sent {
		r.destroy()
	}
}

// recycler resets what recycle hands it until Close. Owned by the
// Manager: Close stops it and waits.
func (m *Manager) recycler() {
	s := &m.spare
	defer close(s.done)
	var later []recycled // not yet let go of by their environment
	var tick <-chan time.Time
	for {
		if len(later) > 0 && tick == nil {
			tick = time.After(recycleRetry)
		}
		select {
		case r := <-s.queue:
			if r, ok := m.reset(r); ok {
				later = append(later, r)
			}
		case <-tick:
			tick = nil
			old := later
			later = nil
			for _, r := range old {
				if r, ok := m.reset(r); ok {
					later = append(later, r)
				}
			}
		case <-m.closing:
			for _, r := range later {
				r.destroy()
			}
			return
		}
	}
}

// reset makes r ready for another environment and keeps it as a spare,
// or destroys it; ok means try again later.
func (m *Manager) reset(r recycled) (_ recycled, ok bool) {
	r.tries++
	var notYet bool
	if r.net != nil {
		if err := m.resetNet(r.net); errors.Is(err, errNotYet) && r.tries < recycleTries {
			notYet = true
		} else if err != nil {
			m.log.Debug("sandbox: network namespace not recycled", "err", err)
			r.net.destroy()
			r.net = nil
		} else {
			m.putSpare(recycled{net: r.net})
			r.net = nil
		}
	}
	if r.disk != nil {
		if err := m.resetDisk(r.disk); errors.Is(err, errNotYet) && r.tries < recycleTries {
			notYet = true
		} else if err != nil {
			m.log.Debug("sandbox: /tmp disk not recycled", "dev", r.disk.dev, "err", err)
			r.disk.release()
			r.disk = nil
		} else {
			m.putSpare(recycled{disk: r.disk})
			r.disk = nil
		}
	}
	return r, notYet
}

// closeSpares destroys the spares and whatever is still queued; the
// recycler must have returned.
func (m *Manager) closeSpares() {
	s := &m.spare
	s.mu.Lock()
	s.closed = true
	nets, disks := s.nets, s.disks
	s.nets, s.disks = nil, nil
	s.mu.Unlock()
	for drained := false; !drained; {
		select {
		case r := <-s.queue:
			r.destroy()
		default:
			drained = true
		}
	}
	for _, l := range nets {
		for _, en := range l {
			en.destroy()
		}
	}
	for _, l := range disks {
		for _, d := range l {
			d.release()
		}
	}
}

// makeSpare prepares a namespace of the default network, a disk of the
// default size, or both, whichever there are fewer than want of.
func (m *Manager) makeSpare(want int) error {
	nets, disks := m.spareCounts()
	if nets < want {
		en, err := m.newNet(m.opts.Network)
		if err != nil {
			return err
		}
		m.putSpare(recycled{net: en})
	}
	if m.mke2fs != "" && disks < want {
		d, err := m.newScratch(defaultEphemeral)
		if err != nil {
			return err
		}
		m.putSpare(recycled{disk: d})
	}
	return nil
}
