package runtimeapi

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"

	"github.com/hearth-run/hearth/internal/handover"
)

// The runtime's own connection carries a GET /next and a POST /response on
// every invocation. net/http would spend, on each, a background-read
// goroutine, a request context, a parsed header map and a Date header;
// Hearth serves a connection whose first request is a Runtime API call
// (/2018-06-01/runtime/…) itself: those two calls are read with a few byte
// comparisons and answered with one write, and any other request on it
// goes through http.ReadRequest to the same handlers. Every other
// connection — extensions, the Telemetry API — is handed to net/http.

// maxDrain is how much of a request body the handlers left unread is read
// and dropped to keep the connection; past it the connection is closed.
const maxDrain = 256 << 10

// accept serves ln until it closes: each connection on a goroutine of its
// own, which ends when the connection does (Close closes them all).
func (s *Server) accept(ln net.Listener) {
	defer close(s.accepted)
	for {
		c, err := ln.Accept()
		if err != nil {
			// The listener closes with the environment's process, which
			// goes before the Server: that is the normal end too.
			if !errors.Is(err, net.ErrClosed) {
				s.log.Error("runtime API server stopped", "err", err)
			}
			return
		}
		if !s.track(c, true) {
			_ = c.Close()
			return
		}
		go s.serveConn(c) // owned by the Server: Close closes c, which ends it
	}
}

// track adds (or removes) a connection Close must close; it reports false
// once the Server is closed.
func (s *Server) track(c net.Conn, add bool) bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if !add {
		delete(s.conns, c)
		return true
	}
	if s.conns == nil {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

// closeConns closes every connection served here and refuses new ones.
func (s *Server) closeConns() {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.conns = nil
}

// serveConn reads the first request line and serves the connection here
// or hands it to net/http.
func (s *Server) serveConn(c net.Conn) {
	br := bufio.NewReaderSize(c, 4096)
	line, err := handover.PeekUntil(br, []byte("\n"))
	if err == nil && !isRuntimeCall(line) {
		s.track(c, false)
		s.httpLn.Give(handover.Peeked(c, br))
		return
	}
	defer func() {
		s.track(c, false)
		_ = c.Close()
	}()
	if err != nil {
		return
	}
	lc := &leanConn{s: s, br: br, w: leanWriter{bw: bufio.NewWriterSize(c, 4096), h: http.Header{}}}
	for lc.serveOne() {
	}
}

// isRuntimeCall reports whether a request line is a call to the Runtime
// API proper (not an extension's).
func isRuntimeCall(line []byte) bool {
	_, rest, ok := bytes.Cut(line, []byte(" "))
	return ok && bytes.HasPrefix(rest, []byte(apiPrefix))
}

// leanConn is a runtime's connection served without net/http's server.
type leanConn struct {
	s  *Server
	br *bufio.Reader
	// wmu is held by an Invoke answering the connection's waiting GET
	// /next (waiter.go).
	wmu sync.Mutex
	w   leanWriter // reused for every answer on the connection
	// waiting says a GET /next on the connection waits in the Server's
	// list; guarded by Server.mu.
	waiting bool
	// registered says a GET /next was registered and not yet settled;
	// only the connection's goroutine uses it.
	registered bool
}

// serveOne serves one request and reports whether the connection stays
// open for the next.
func (lc *leanConn) serveOne() bool {
	raw, err := handover.PeekUntil(lc.br, []byte("\r\n\r\n"))
	if lc.registered {
		lc.registered = false
		if lc.s.settle(lc) && err == nil {
			// More came while the GET waited: it is served first, parked.
			lc.w.reset()
			lc.s.next(&lc.w, nil)
			if lc.w.finish() != nil {
				return false
			}
		}
	}
	if err != nil && !errors.Is(err, handover.ErrHeadTooLong) {
		return false
	}
	var h head
	if err == nil && h.parse(raw) && !h.close {
		switch {
		case h.isNext():
			_, _ = lc.br.Discard(len(raw))
			return lc.s.nextLean(lc)
		case h.isResponse() && !lc.s.streaming():
			id := string(h.id)
			_, _ = lc.br.Discard(len(raw))
			return lc.response(id, &h)
		}
	}
	return lc.serveRequest()
}

// response serves a plain (not streamed) POST /response.
func (lc *leanConn) response(id string, h *head) bool {
	s, w := lc.s, &lc.w
	w.reset()
	c, ok := s.outcomeCall(w, id, false)
	if !ok {
		// Answered; the body is not read, so the connection cannot go on.
		_ = w.finish()
		return false
	}
	var body io.Reader = &io.LimitedReader{R: lc.br, N: h.length}
	if h.chunked {
		body = httputil.NewChunkedReader(lc.br)
	}
	payload, tooLarge, err := readBody(body, h.length, s.maxBytes)
	if err != nil {
		s.log.Debug("reading outcome body", "request_id", id, "err", err)
		return false
	}
	res := Result{Payload: payload}
	if h.chunked {
		errType, errBody, err := readTrailer(lc.br)
		if err != nil {
			return false
		}
		if errType != "" {
			res = trailerResult(errType, errBody, payload)
		}
	}
	s.completeOutcome(w, c, res, tooLarge)
	return w.finish() == nil
}

// serveRequest reads any other request with net/http's parser and serves
// it with the Server's handlers.
func (lc *leanConn) serveRequest() bool {
	r, err := http.ReadRequest(lc.br)
	if err != nil {
		return false
	}
	w := &lc.w
	w.reset()
	if r.Header.Get("Expect") == "100-continue" {
		_, _ = w.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
	}
	lc.s.ServeHTTP(w, r)
	if w.finish() != nil {
		return false
	}
	n, _ := io.CopyN(io.Discard, r.Body, maxDrain+1)
	return n <= maxDrain && !r.Close
}

// streaming reports whether the invocation in flight streams its response;
// its /response then goes through net/http's body reader.
func (s *Server) streaming() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur != nil && s.cur.stream != nil
}
