package runtimeapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"sync"

	"github.com/hearth-run/hearth/internal/errdefs"
)

// Request headers and trailers the runtime may send with an outcome.
const (
	hdrFunctionErrorType = "Lambda-Runtime-Function-Error-Type"
	// aws-lambda-go reports a failure while streaming a response body in
	// these trailers of the /response request.
	trlFunctionErrorBody = "Lambda-Runtime-Function-Error-Body"
)

// Error types Hearth reports to the caller.
const (
	typeResponseSizeTooLarge = errdefs.FunctionResponseTooLarge
	typeRuntimeUnknown       = errdefs.RuntimeUnknown
)

// lambdaErrorType matches the error types Lambda accepts from a runtime's
// header as they are ("Runtime.ImportModuleError", "Function.X").
var lambdaErrorType = regexp.MustCompile(`^(Runtime|Function)\.[A-Z][a-zA-Z]+$`)

// handleOutcome serves POST /runtime/invocation/{id}/response (isError
// false) and /runtime/invocation/{id}/error (isError true).
func (s *Server) handleOutcome(w http.ResponseWriter, r *http.Request, id string, isError bool) {
	c, ok := s.outcomeCall(w, id, isError)
	if !ok {
		return
	}
	if isStreamed(r, c, isError) {
		s.handleStream(w, r, c)
		return
	}
	body, tooLarge, err := readBody(r.Body, r.ContentLength, s.maxBytes)
	if err != nil {
		// The runtime hung up mid-body; the invocation stays current.
		s.log.Debug("reading outcome body", "request_id", id, "err", err)
		return
	}
	var res Result
	switch {
	case tooLarge:
	case isError:
		res = Result{Payload: body, ErrorType: errorType(r.Header[hdrFunctionErrorType], body)}
	default:
		res = Result{Payload: body}
		if t := r.Trailer[hdrFunctionErrorType]; len(t) > 0 && t[0] != "" {
			res = trailerResult(t[0], r.Trailer[trlFunctionErrorBody], body)
		}
	}
	s.completeOutcome(w, c, res, tooLarge)
}

// outcomeCall checks that an outcome post for id is allowed now and names
// the invocation in flight; if not, it answers the runtime and reports
// false.
func (s *Server) outcomeCall(w http.ResponseWriter, id string, isError bool) (*call, bool) {
	s.mu.Lock()
	st, c := s.state, s.cur
	s.mu.Unlock()
	if st != stateRunning {
		to := "InvocationResponse"
		if isError {
			to = "InvocationErrorResponse"
		}
		writeForbidden(w, st, to)
		return nil, false
	}
	if c == nil || c.id != id {
		writeJSON(w, http.StatusBadRequest, bodyInvalidRequestID)
		return nil, false
	}
	return c, true
}

// completeOutcome hands res to the waiting Invoke, unless it gave up or
// another post won meanwhile, and answers the runtime.
func (s *Server) completeOutcome(w http.ResponseWriter, c *call, res Result, tooLarge bool) {
	if tooLarge {
		res = s.tooLargeResult()
	}
	s.mu.Lock()
	if s.cur != c { // Invoke gave up, or another post won, meanwhile
		s.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, bodyInvalidRequestID)
		return
	}
	s.cur = nil
	s.results <- res // capacity 1 and empty: only the owner of cur sends
	s.runtimeDoneLocked(c, res)
	s.mu.Unlock()

	if tooLarge {
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody(
			"Exceeded maximum allowed payload size ("+strconv.Itoa(s.maxBytes)+" bytes).",
			errRequestEntityTooLarge))
		return
	}
	writeJSON(w, http.StatusAccepted, bodyAccepted)
}

// tooLargeResult is what the caller gets for an oversized response, in
// Lambda's words.
func (s *Server) tooLargeResult() Result {
	b, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}{typeResponseSizeTooLarge,
		"Response payload size exceeded maximum allowed payload size (" + strconv.Itoa(s.maxBytes) + " bytes)."})
	return Result{Payload: b, ErrorType: typeResponseSizeTooLarge}
}

// bufPool holds buffers for bodies of unknown length (chunked, as
// aws-lambda-go sends them).
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooled keeps a rare huge body from pinning its buffer in the pool.
const maxPooled = 1 << 20

// readBody reads at most max bytes of a body of length n (-1: unknown)
// into a slice of its own. A larger body is drained (so that the runtime,
// still sending, reads the 413 rather than a reset) and reported as too
// large.
func readBody(r io.Reader, n int64, max int) (body []byte, tooLarge bool, err error) {
	if n > int64(max) {
		_, err = io.Copy(io.Discard, r)
		return nil, true, err
	} else if n >= 0 {
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, false, err
		}
		return b, false, nil
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooled {
			buf.Reset()
			bufPool.Put(buf)
		}
	}()
	buf.Reset()
	lr := io.LimitedReader{R: r, N: int64(max) + 1}
	m, err := buf.ReadFrom(&lr)
	if err != nil {
		return nil, false, err
	}
	if m > int64(max) {
		_, err = io.Copy(io.Discard, r)
		return nil, true, err
	}
	return bytes.Clone(buf.Bytes()), false, nil
}

// errorType decides the error type of a /error post: a header in Lambda's
// form wins, then the body's errorType, then any header, then
// Runtime.Unknown.
func errorType(header []string, body []byte) string {
	var h string
	if len(header) > 0 {
		h = header[0]
	}
	if lambdaErrorType.MatchString(h) {
		return h
	}
	var parsed struct {
		ErrorType string `json:"errorType"`
	}
	if len(body) > 0 && json.Unmarshal(body, &parsed) == nil && parsed.ErrorType != "" {
		return parsed.ErrorType
	}
	if h != "" {
		return h
	}
	return typeRuntimeUnknown
}

// trailerResult turns a /response whose body failed mid-stream (reported
// in trailers) into an error result.
func trailerResult(errType string, errBody []string, body []byte) Result {
	if len(errBody) > 0 {
		if b, err := base64.StdEncoding.DecodeString(errBody[0]); err == nil {
			body = b
		}
	}
	return Result{Payload: body, ErrorType: errType}
}
