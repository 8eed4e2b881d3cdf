package runtimeapi

import (
	"net/http"
)

// handleNext serves GET /runtime/invocation/next: the long poll on which the
// runtime waits for its next invocation. The first one marks init as done.
func (s *Server) handleNext(w http.ResponseWriter, r *http.Request) {
	s.next(w, r.Context().Done())
}

// next is handleNext; gone, if not nil, is closed when the runtime hangs up
// (the request's context). A parked long poll whose runtime hung up unseen
// is harmless: it delivers the next invocation into a dead connection,
// and the runtime's live GET gets it too.
func (s *Server) next(w http.ResponseWriter, gone <-chan struct{}) {
	s.mu.Lock()
	if !s.arriveLocked(w) {
		return
	}
	for {
		if c := s.cur; c != nil {
			s.mu.Unlock()
			deliver(w, c)
			return
		}
		if s.closed {
			s.mu.Unlock()
			return
		}
		wake := s.wake
		s.parked = true
		s.mu.Unlock()
		select {
		case <-wake:
		case <-gone:
			// The runtime went away; the invocation, if one comes, waits
			// for its next GET.
			return
		case <-s.done:
			return
		}
		s.mu.Lock()
	}
}

// arriveLocked does what every GET /next does first: the first one ends
// Init, and one after an answered invocation ends that invocation (and
// calls its NotifyNext notice, releasing mu meanwhile). With mu held; when
// the runtime's state forbids the call it answers it, releases mu and
// reports false.
func (s *Server) arriveLocked(w http.ResponseWriter) bool {
	switch s.state {
	case stateInitError:
		s.mu.Unlock()
		writeForbidden(w, stateInitError, "Ready")
		return false
	case stateStarted:
		s.state = stateRunning
		s.maybeReadyLocked()
	}
	if l := s.last; l != nil && s.cur != l && !l.nextSeen {
		// The runtime is done with its last invocation: it ends here.
		l.nextSeen = true
		close(l.next)
		if n, _ := s.takeNoticeLocked(); n != nil {
			// Ended on this goroutine, which the runtime waits on anyway:
			// no hand-off to another before the environment is frozen.
			s.mu.Unlock()
			n.fire(nil, true)
			s.mu.Lock()
		}
	}
	return true
}

// deliver writes c as the /next response. The header map gets slices of
// c's prepared values under canonical keys: no canonicalisation, no
// per-header allocation.
func deliver(w http.ResponseWriter, c *call) {
	h := w.Header()
	for i := 0; i < c.n; i++ {
		h[c.keys[i]] = c.vals[i : i+1 : i+1]
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(c.payload)
}
