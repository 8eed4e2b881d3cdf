package runtimeapi

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// pathTelemetry is the Telemetry API's subscription endpoint.
const pathTelemetry = "/2022-07-01/telemetry"

// Lambda's buffering limits for a subscription.
const (
	defaultMaxItems  = 10000
	defaultMaxBytes  = 262144
	defaultTimeoutMs = 1000
)

// handleTelemetry serves PUT /2022-07-01/telemetry: an extension subscribes
// its HTTP listener to platform, function and extension events. Events
// since the start of Init are delivered too.
func (s *Server) handleTelemetry(w http.ResponseWriter, r *http.Request) {
	var req struct {
		SchemaVersion string `json:"schemaVersion"`
		Destination   struct {
			Protocol string `json:"protocol"`
			URI      string `json:"URI"`
		} `json:"destination"`
		Types     []string `json:"types"`
		Buffering struct {
			MaxItems  int `json:"maxItems"`
			MaxBytes  int `json:"maxBytes"`
			TimeoutMs int `json:"timeoutMs"`
		} `json:"buffering"`
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err == nil {
		err = json.Unmarshal(b, &req)
	}
	bad := func(msg string) { writeJSON(w, http.StatusBadRequest, errorBody(msg, "ValidationError")) }
	switch {
	case err != nil:
		bad("Invalid subscription body")
		return
	case req.SchemaVersion != "2022-12-13" && req.SchemaVersion != "2022-07-01":
		bad("Unsupported schema version " + req.SchemaVersion)
		return
	case req.Destination.Protocol != "HTTP" || !validListener(req.Destination.URI):
		bad("destination must be an HTTP listener")
		return
	}
	buf := req.Buffering
	if buf.MaxItems == 0 {
		buf.MaxItems = defaultMaxItems
	}
	if buf.MaxBytes == 0 {
		buf.MaxBytes = defaultMaxBytes
	}
	if buf.TimeoutMs == 0 {
		buf.TimeoutMs = defaultTimeoutMs
	}
	if buf.MaxItems < 1000 || buf.MaxItems > 10000 || buf.MaxBytes < 262144 || buf.MaxBytes > 1048576 ||
		buf.TimeoutMs < 25 || buf.TimeoutMs > 30000 {
		bad("buffering out of range")
		return
	}
	sub := &subscription{uri: req.Destination.URI, types: map[string]bool{}, maxItems: buf.MaxItems,
		maxBytes: buf.MaxBytes, timeout: time.Duration(buf.TimeoutMs) * time.Millisecond,
		wake: make(chan struct{}, 1), flush: make(chan chan struct{}), client: telemetryClient(s.dial)}
	for _, t := range req.Types {
		if t != "platform" && t != "function" && t != "extension" {
			bad("unknown event type " + t)
			return
		}
		sub.types[t] = true
	}
	s.mu.Lock()
	if s.extensionByID(r.Header.Get(hdrExtID)) == nil {
		s.mu.Unlock()
		writeJSON(w, http.StatusForbidden, errorBody("Unknown extension", errExtInvalidID))
		return
	}
	if s.closed {
		s.mu.Unlock()
		return
	}
	for _, ev := range s.backlog {
		sub.queueLocked(ev)
	}
	s.subs = append(s.subs, sub)
	s.telemetryWG.Add(1)
	s.mu.Unlock()
	go s.deliver(sub)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("OK"))
}
