package api

import (
	"fmt"
	"net/http"
	"runtime/debug"
)

// requestID is the id of the request being answered on w.
func requestID(w http.ResponseWriter) string {
	if fw, ok := w.(*frontWriter); ok {
		return fw.requestID()
	}
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
