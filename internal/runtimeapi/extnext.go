package runtimeapi

import (
	"net/http"
	"strconv"
	"time"
)

// handleExtNext serves GET /2020-01-01/extension/event/next: the long poll
// on which an extension waits for its next event. Asking again tells that
// the previous event is handled; the first ask ends the extension's Init.
func (s *Server) handleExtNext(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get(hdrExtID)
	s.mu.Lock()
	x := s.extensionByID(id)
	if x == nil {
		s.mu.Unlock()
		writeJSON(w, http.StatusForbidden, errorBody("Unknown extension "+id, errExtInvalidID))
		return
	}
	x.asked, x.working = true, false
	s.maybeReadyLocked()
	s.broadcastLocked()
	for len(x.queue) == 0 {
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
		s.mu.Lock()
	}
	ev := x.queue[0]
	x.queue = x.queue[1:]
	x.working = true
	s.mu.Unlock()
	w.Header()[hdrExtEventID] = []string{newUUID()}
	// With its length, the event is complete at the flush, before the
	// handler returns.
	w.Header()[hdrContentLength] = []string{strconv.Itoa(len(ev.body))}
	writeJSON(w, http.StatusOK, ev.body)
	if ev.shutdown {
		s.awaitHangUp(w, r, x)
	}
}

// awaitHangUp waits, after a SHUTDOWN event, until the extension hangs up
// (it has exited, as it should), then marks it gone. The request's context
// ends when the client's connection closes.
func (s *Server) awaitHangUp(w http.ResponseWriter, r *http.Request, x *extension) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	t := time.NewTimer(shutdownAckBound)
	defer t.Stop()
	select {
	case <-r.Context().Done():
	case <-s.done:
	case <-t.C:
	}
	s.mu.Lock()
	x.gone = true
	s.broadcastLocked()
	s.mu.Unlock()
}
