package runtimeapi

import (
	"io"
	"net/http"
)

// handleInitError serves POST /runtime/init/error. It is allowed only
// during init, once; later Lambda answers 403.
func (s *Server) handleInitError(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if st := s.state; st != stateStarted {
		s.mu.Unlock()
		writeForbidden(w, st, "InitError")
		return
	}
	s.state = stateInitError
	s.mu.Unlock()

	body, err := io.ReadAll(io.LimitReader(r.Body, int64(s.maxBytes)))
	if err != nil {
		s.log.Debug("reading init error body", "err", err)
	}
	s.initErr <- body // capacity 1, sent at most once: the state changed above
	writeJSON(w, http.StatusAccepted, bodyAccepted)
}
