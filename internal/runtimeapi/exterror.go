package runtimeapi

import (
	"io"
	"net/http"
)

// handleExtError serves POST /2020-01-01/extension/init/error and
// /exit/error: an extension reports that it failed (Init) or is about to
// exit. The error type is in Lambda-Extension-Function-Error-Type. An
// extension's failed Init fails the environment's Init, as on Lambda.
func (s *Server) handleExtError(w http.ResponseWriter, r *http.Request, initPhase bool) {
	id := r.Header.Get(hdrExtID)
	errType := r.Header.Get(hdrExtErrorType)
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	s.mu.Lock()
	x := s.extensionByID(id)
	if x == nil {
		s.mu.Unlock()
		writeJSON(w, http.StatusForbidden, errorBody("Unknown extension "+id, errExtInvalidID))
		return
	}
	if initPhase {
		if s.initDone || s.state == stateInitError {
			s.mu.Unlock()
			writeForbidden(w, stateRunning, "InitError")
			return
		}
		s.state = stateInitError
		s.mu.Unlock()
		if errType == "" {
			errType = "Extension.Unknown"
		}
		s.log.Debug("extension init error", "extension", x.name, "type", errType)
		s.initErr <- errorBody(string(body), errType) // capacity 1, sent once: state changed above
		writeJSON(w, http.StatusAccepted, bodyAccepted)
		return
	}
	x.gone = true
	s.broadcastLocked()
	s.mu.Unlock()
	s.log.Debug("extension exit error", "extension", x.name, "type", errType)
	writeJSON(w, http.StatusAccepted, bodyAccepted)
}
