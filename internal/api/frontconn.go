package api

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hearth-run/hearth/internal/handover"
)

// frontBufSize is the read buffer of a connection the front serves: a
// head that does not fit goes to net/http.
const frontBufSize = 8 << 10

// lingerDelay is how long a connection that closes with a request body
// unread stays open after its answer, half-closed where it can be, so that
// a client still sending the body reads the answer before the reset that
// closing over unread bytes causes (net/http waits as long).
const lingerDelay = 500 * time.Millisecond

// maxPostHandlerRead is how much of a body the handler left unread is read
// and dropped to keep the connection, as net/http does; past it the answer
// says Connection: close.
const maxPostHandlerRead = 256 << 10

// frontConn is one connection the front serves. Its Request, header map,
// writer and buffers are reused for every request on it: requests on a
// connection are served one after the other, and the handler keeps none of
// them past its return.
type frontConn struct {
	f  *Front
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer

	// ctx is the context of the connection's requests: cancelled when the
	// client goes away while a handler runs (watch), as net/http cancels
	// a request's, or when the connection ends. It is made once, not per
	// request: a client gone ends the connection after its answer.
	ctx    context.Context
	cancel context.CancelFunc
	watch  connWatch

	canon canonicalizer
	head  frontHead
	req   *http.Request
	url   url.URL
	hdr   http.Header
	vals  []string // backing array of hdr's values
	body  frontBody
	w     frontWriter

	// idle is set while waiting for a request; closing once Shutdown
	// asked the connection to end.
	idle, closing atomic.Bool
	// linger says the connection closes with a body unread: the client
	// may still be sending it (serveConn).
	linger bool
	// rdl and wdl are the read and write deadlines last set; only the
	// connection's goroutine uses them.
	rdl, wdl time.Time
}

func newFrontConn(f *Front, c net.Conn) *frontConn {
	fc := &frontConn{f: f, c: c, br: bufio.NewReaderSize(c, frontBufSize), bw: bufio.NewWriterSize(c, 4096),
		hdr: make(http.Header, 16), vals: make([]string, 0, maxFrontHeaders)}
	fc.ctx, fc.cancel = context.WithCancel(f.ctx)
	fc.watch.init(f.watch, c, fc.cancel)
	fc.req, _ = http.NewRequestWithContext(fc.ctx, http.MethodPost, "/", nil)
	fc.req.RemoteAddr = c.RemoteAddr().String()
	fc.body.br, fc.body.watch = fc.br, &fc.watch
	fc.w = frontWriter{fc: fc, h: make(http.Header, 8)}
	return fc
}

// shutdown asks the connection to end after its request in flight; an
// idle one ends at once.
func (fc *frontConn) shutdown() {
	fc.closing.Store(true)
	if fc.idle.Load() {
		_ = fc.c.SetReadDeadline(time.Now())
	}
}

// release drops the buffers a closed or handed-over connection no longer
// needs (the reader goes on with a handed-over one), and its watch and
// context.
func (fc *frontConn) release() {
	fc.watch.disarm()
	fc.watch.forget()
	fc.cancel()
	fc.bw, fc.req, fc.w.body = nil, nil, nil
}

// serve serves requests until the connection ends (false) or carries a
// request for net/http (true); one whose end it knows it lends to net/http
// through handOff and goes on (frontloan.go). A handler's panic ends the
// connection, as in net/http.
func (fc *frontConn) serve(handOff *handover.Listener) (handOver bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				fc.f.s.log.Error("API connection panicked", "remote", fc.req.RemoteAddr, "panic", v)
			}
			handOver = false
		}
	}()
	for first := true; ; first = false {
		raw, err := fc.readHead(first)
		if err != nil {
			return errors.Is(err, handover.ErrHeadTooLong) && !fc.closing.Load()
		}
		if fc.closing.Load() {
			return false
		}
		if !fc.takes(raw) {
			n, ok := loanLength(raw)
			if !ok {
				return true
			}
			if !fc.lend(handOff, n) {
				return false
			}
			continue
		}
		_, _ = fc.br.Discard(len(raw))
		if !fc.serveInvoke() {
			return false
		}
	}
}

// takes reports whether the front serves the request whose head is raw.
func (fc *frontConn) takes(raw []byte) bool {
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	if !isInvokeLine(raw[:len(line)+1]) {
		return false
	}
	if max := fc.f.opts.HTTP.MaxHeaderBytes; max > 0 && len(raw) > max {
		return false
	}
	h := &fc.head
	if !h.parse(string(raw), &fc.canon) || len(h.fields) > fc.f.maxHeaders || urlHostID(h.host) != "" {
		return false
	}
	fc.url = url.URL{Path: h.path, RawQuery: h.query}
	name := h.name
	if strings.IndexByte(h.path, '%') >= 0 {
		u, err := url.ParseRequestURI(h.target)
		if err != nil {
			return false
		}
		if name, err = url.PathUnescape(name); err != nil || name == "." || name == ".." || strings.Contains(name, "/") {
			return false // ServeMux would clean or split the path
		}
		fc.url = *u
	}
	fc.fillRequest(name)
	return true
}

// fillRequest makes the connection's Request the one in fc.head.
func (fc *frontConn) fillRequest(name string) {
	h, r := &fc.head, fc.req
	clear(fc.hdr)
	vals := fc.vals[:0]
	for _, f := range h.fields {
		vals = append(vals, f.value)
		fc.hdr[f.name] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	fc.body.n, fc.body.reserved = h.length, 0
	r.Method, r.URL, r.Proto, r.ProtoMajor, r.ProtoMinor = http.MethodPost, &fc.url, "HTTP/1.1", 1, 1
	r.Header, r.Body, r.ContentLength, r.Host, r.RequestURI = fc.hdr, &fc.body, h.length, h.host, h.target
	r.Close, r.TransferEncoding, r.Form, r.PostForm, r.MultipartForm, r.Trailer = false, nil, nil, nil, nil, nil
	r.GetBody, r.Pattern = nil, invokePattern
	r.SetPathValue("name", name)
}

// serveInvoke runs the request through the Invoke route and answers it;
// it reports whether the connection goes on.
func (fc *frontConn) serveInvoke() bool {
	if fc.br.Buffered() < int(fc.head.length) {
		if d := fc.f.opts.HTTP.ReadTimeout; d > 0 {
			fc.setReadDeadline(d)
		}
	}
	fc.f.served.Add(1)
	w := &fc.w
	w.reset()
	// As net/http, the client is watched from the end of the body on.
	fc.body.arm = true
	if fc.head.length == 0 {
		fc.watch.arm()
	}
	fc.f.s.serveFrontInvoke(w, fc.req)
	fc.body.arm = false
	gone := fc.watch.disarm()
	fc.f.s.budget.give(fc.body.reserved)
	fc.body.reserved = 0
	if err := w.finish(); err != nil {
		return false
	}
	if w.close {
		fc.linger = true
	}
	return !w.close && !gone && !fc.closing.Load()
}

// keepAfterHandler drops what the handler left of the body, as net/http
// does, and reports whether the connection can carry another request.
func (fc *frontConn) keepAfterHandler() bool {
	if fc.body.n == 0 {
		return true
	}
	if fc.body.n >= maxPostHandlerRead {
		return false
	}
	_, err := io.Copy(io.Discard, &fc.body)
	return err == nil && fc.body.n == 0
}

// readHead waits for the next request's head and returns it, unread. The
// wait for a request is bounded by the idle timeout (the read-header
// timeout for a connection's first), the head's by the read-header
// timeout.
func (fc *frontConn) readHead(first bool) ([]byte, error) {
	hs := fc.f.opts.HTTP
	wait := hs.IdleTimeout
	if first || wait == 0 {
		wait = hs.ReadHeaderTimeout
	}
	if wait == 0 {
		wait = hs.ReadTimeout
	}
	fc.setReadDeadline(wait)
	fc.idle.Store(true)
	if fc.closing.Load() {
		return nil, net.ErrClosed
	}
	_, err := fc.br.Peek(1)
	fc.idle.Store(false)
	if err != nil {
		return nil, err
	}
	if raw, ok := buffered(fc.br); ok {
		return raw, nil
	}
	if d := hs.ReadHeaderTimeout; d > 0 && !first {
		fc.setReadDeadline(d)
	} else if d = hs.ReadTimeout; d > 0 && !first {
		fc.setReadDeadline(d)
	}
	return handover.PeekUntil(fc.br, []byte("\r\n\r\n"))
}

// buffered returns the head if it is all in br's buffer.
func buffered(br *bufio.Reader) ([]byte, bool) {
	b, _ := br.Peek(br.Buffered())
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		return b[:i+4], true
	}
	return nil, false
}

// setReadDeadline sets the read deadline d from now (none for d == 0).
// The deadline is set an eighth of d (at most a second) late, and not set
// again while the one set is no earlier than d from now: a busy
// connection then costs a timer update a second, not one a request, and a
// timeout is never shorter than net/http's.
func (fc *frontConn) setReadDeadline(d time.Duration) {
	if t, ok := deadline(fc.rdl, d); ok {
		fc.rdl = t
		_ = fc.c.SetReadDeadline(t)
	}
}

// setWriteDeadline is setReadDeadline for writes.
func (fc *frontConn) setWriteDeadline(d time.Duration) {
	if t, ok := deadline(fc.wdl, d); ok {
		fc.wdl = t
		_ = fc.c.SetWriteDeadline(t)
	}
}

// deadline returns the deadline to set for d from now, and false when the
// one set already serves.
func deadline(set time.Time, d time.Duration) (time.Time, bool) {
	if d <= 0 {
		return time.Time{}, !set.IsZero()
	}
	t := time.Now().Add(d)
	slack := min(d/8, time.Second)
	if !set.IsZero() && !set.Before(t) && set.Sub(t) <= slack {
		return set, false
	}
	return t.Add(slack), true
}

// frontBody is the body of a request the front serves: the next n bytes
// of the connection.
type frontBody struct {
	br *bufio.Reader
	n  int64
	// arm says the handler runs: the connection is watched for its
	// client going away once the body is read (connWatch).
	arm   bool
	watch *connWatch
	// reserved is what the body holds of the server's body budget, given
	// back when the handler returns.
	reserved int64
}

func (b *frontBody) Read(p []byte) (int, error) {
	if b.n <= 0 {
		if b.arm {
			b.watch.arm()
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.br.Read(p)
	b.n -= int64(n)
	if errors.Is(err, io.EOF) && b.n > 0 {
		err = io.ErrUnexpectedEOF
	}
	if b.n == 0 && b.arm {
		b.watch.arm()
	}
	return n, err
}

func (b *frontBody) Close() error { return nil }
