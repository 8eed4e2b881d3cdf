package server

import (
	"net/http"
	"strconv"
)

// limitHeaders answers 431 Request Header Fields Too Large, before any
// authentication or routing, to a request with more than max header
// fields: MaxHeaderBytes alone lets through thousands of tiny headers,
// each of which costs signature verification and routing work.
func limitHeaders(h http.Handler, max int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 0
		for _, vs := range r.Header {
			n += len(vs)
		}
		if n > max {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusRequestHeaderFieldsTooLarge)
			_, _ = w.Write([]byte("431 Request Header Fields Too Large: more than " + strconv.Itoa(max) + " header fields\n"))
			return
		}
		h.ServeHTTP(w, r)
	})
}
