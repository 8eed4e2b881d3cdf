package runtimeapi

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
)

// handleExtRegister serves POST /2020-01-01/extension/register. An
// extension registers during Init, with its name in Lambda-Extension-Name
// and the events it wants; it gets its Lambda-Extension-Identifier. An
// extension whose name is one of the executables started from
// /opt/extensions is external; any other (registered from the runtime's
// process) is internal.
func (s *Server) handleExtRegister(w http.ResponseWriter, r *http.Request) {
	name := r.Header.Get(hdrExtName)
	if name == "" {
		writeJSON(w, http.StatusForbidden, errorBody("Empty extension name", "Extension.InvalidExtensionName"))
		return
	}
	var body struct {
		Events []string `json:"events"`
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err == nil && len(b) > 0 {
		err = json.Unmarshal(b, &body)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody("Invalid register body", errExtInvalidBody))
		return
	}
	for _, e := range body.Events {
		if e != eventInvoke && e != eventShutdown {
			writeJSON(w, http.StatusBadRequest, errorBody("Unknown event type "+e, "Extension.InvalidEventType"))
			return
		}
	}
	x := &extension{id: newUUID(), name: name, external: slices.Contains(s.externalNames, name),
		invoke: slices.Contains(body.Events, eventInvoke), shutdown: slices.Contains(body.Events, eventShutdown)}
	s.mu.Lock()
	switch {
	case s.initDone || s.state == stateInitError:
		s.mu.Unlock()
		writeForbidden(w, stateRunning, "ExtensionRegistered")
		return
	case len(s.exts) >= maxExtensions,
		slices.ContainsFunc(s.exts, func(o *extension) bool { return o.name == name }):
		s.mu.Unlock()
		writeJSON(w, http.StatusForbidden, errorBody("Extension "+name+" cannot register", "Extension.TooManyExtensions"))
		return
	}
	s.exts = append(s.exts, x)
	s.broadcastLocked()
	s.mu.Unlock()
	w.Header()[hdrExtID] = []string{x.id}
	info, _ := json.Marshal(s.info)
	writeJSON(w, http.StatusOK, info)
}
