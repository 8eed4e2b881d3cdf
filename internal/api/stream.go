package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/invoke"
)

// errSinkClosed stops the forwarding of a stream whose invocation ended.
var errSinkClosed = errors.New("response stream already finished")

// eventSink forwards a streamed response as PayloadChunk events of
// InvokeWithResponseStream. The runtime's connection writes to it while
// the API handler waits for the result; mu keeps the two apart.
type eventSink struct {
	// mu guards every field below and the writes to w.
	mu      sync.Mutex
	w       http.ResponseWriter
	rc      *http.ResponseController
	version string // X-Amz-Executed-Version, when known beforehand
	started bool   // the 200 and its headers are out
	closed  bool
	buf     []byte
}

// Begin is part of runtimeapi.Stream: every chunk is a PayloadChunk,
// whatever the runtime's content type.
func (e *eventSink) Begin(string) error { return nil }

// Write sends p as one PayloadChunk event, at once.
func (e *eventSink) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return 0, errSinkClosed
	}
	e.start()
	e.buf = appendPayloadChunk(e.buf[:0], p)
	if _, err := e.w.Write(e.buf); err != nil {
		return 0, err
	}
	return len(p), e.rc.Flush()
}

// start sends the response head. Called with mu held.
func (e *eventSink) start() {
	if e.started {
		return
	}
	e.started = true
	_ = e.rc.SetWriteDeadline(time.Time{}) // a stream lasts as long as the function
	h := e.w.Header()
	h.Set("Content-Type", "application/vnd.amazon.eventstream")
	if e.version != "" {
		h.Set("X-Amz-Executed-Version", e.version)
	}
	e.w.WriteHeader(http.StatusOK)
}

// finish ends the stream with the invocation's result: a buffered payload
// as one PayloadChunk, then InvokeComplete.
func (e *eventSink) finish(res *InvokeResult, logTail bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	if !e.started && res.ExecutedVersion != "" {
		e.version = res.ExecutedVersion
	}
	if res.RequestID != "" && !e.started {
		e.w.Header().Set("X-Amzn-Requestid", res.RequestID)
	}
	e.start()
	e.buf = e.buf[:0]
	if !res.Streamed && res.FunctionError == "" && len(res.Payload) > 0 {
		e.buf = appendPayloadChunk(e.buf, res.Payload)
	}
	complete := map[string]string{}
	if res.FunctionError != "" {
		var parsed struct {
			ErrorType string `json:"errorType"`
		}
		_ = json.Unmarshal(res.Payload, &parsed)
		complete["ErrorCode"] = parsed.ErrorType
		if complete["ErrorCode"] == "" {
			complete["ErrorCode"] = res.FunctionError
		}
		complete["ErrorDetails"] = string(res.Payload)
	}
	if logTail {
		complete["LogResult"] = base64.StdEncoding.EncodeToString(res.LogTail)
	}
	body, _ := json.Marshal(complete)
	e.buf = appendInvokeComplete(e.buf, body)
	_, _ = e.w.Write(e.buf)
	_ = e.rc.Flush()
}

// invokeStream serves InvokeWithResponseStream: the function's streamed
// response goes out as it is written, in PayloadChunk events, then
// InvokeComplete. Errors before the function runs are ordinary errors.
func (s *Server) invokeStream(w http.ResponseWriter, r *http.Request, body []byte) error {
	req, err := s.invokeRequest(r, body)
	if err != nil {
		return err
	}
	switch req.Type {
	case invoke.RequestResponse, invoke.DryRun:
	default:
		return errorf(http.StatusBadRequest, typeInvalidParam, "1 validation error detected: Value '"+req.Type+"' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [RequestResponse, DryRun]")
	}
	sink := &eventSink{w: w, rc: http.NewResponseController(w), version: s.knownVersion(req.Function, req.Qualifier)}
	if req.Type == invoke.RequestResponse {
		req.Stream = sink
	}
	res, err := s.opts.Invoker.Invoke(r.Context(), req)
	if err != nil {
		sink.mu.Lock()
		started := sink.started
		sink.closed = true
		sink.mu.Unlock()
		if !started {
			return err
		}
		s.log.WarnContext(r.Context(), "streamed invocation failed", "function", req.Function, "err", err)
		return nil
	}
	if res.Status == http.StatusNoContent {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	sink.finish(res, req.LogTail)
	return nil
}

// knownVersion is the version an invocation runs when it can be told
// without routing: $LATEST, a version number, or an alias without
// weights.
func (s *Server) knownVersion(name, qualifier string) string {
	switch {
	case qualifier == "" || qualifier == function.Latest:
		return function.Latest
	case function.IsVersion(qualifier):
		return qualifier
	}
	if a, err := s.opts.Store.Alias(name, qualifier); err == nil && len(a.Weights) == 0 {
		return a.Version
	}
	return ""
}
