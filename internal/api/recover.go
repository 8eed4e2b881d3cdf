package api

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"runtime/debug"
)

// newRequestID returns a random id in the form of Lambda's request ids.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// requestID is the id of the request being answered on w.
func requestID(w http.ResponseWriter) string {
	return w.Header().Get("X-Amzn-Requestid")
}

// errPanic is what a panicking handler's request fails with.
var errPanic = fmt.Errorf("handler panicked")

// recoverPanic turns a handler's panic into a 500 ServiceException (logged
// with its stack), so that one bad request does not take the connection, or
// the server, down with it. http.ErrAbortHandler is re-raised: it is how a
// handler asks net/http to drop the connection.
func (s *Server) recoverPanic(w http.ResponseWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	s.log.ErrorContext(r.Context(), "handler panicked", "method", r.Method, "path", sanitize(r.URL.Path),
		"request_id", requestID(w), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	// If the handler had started its answer, the best left is to end it.
	s.writeError(w, r, fmt.Errorf("%w: %v", errPanic, v))
}
