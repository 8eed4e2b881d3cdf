package api

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hearth-run/hearth/internal/handover"
)

// A client's kept connection often carries other calls before its
// Invokes (an SDK client creates a function, then invokes it). Such a
// request whose end the Front can tell — a Content-Length or no body, no
// Expect or Upgrade, no Connection but keep-alive — is lent to the http.Server on its own: a
// loanConn shows net/http the request's bytes and nothing after them, and
// once net/http has answered and, keeping the connection, reads for the
// next request, it reads the end of the stream and closes the loanConn,
// which gives the connection back to the Front. Every other request, and
// the routes that stream or live long (InvokeWithResponseStream, the
// console, function URLs, the JSON APIs on "/"), takes the connection to
// net/http for good.

// loanLength reports whether the request whose head is raw can be lent to
// net/http, and how many bytes it has (head and body).
func loanLength(raw []byte) (int64, bool) {
	line, rest, _ := bytes.Cut(raw, []byte("\r\n"))
	method, line, ok1 := bytes.Cut(line, []byte(" "))
	target, proto, ok2 := bytes.Cut(line, []byte(" "))
	if !ok1 || !ok2 || !validFieldName(string(method)) || string(proto) != "HTTP/1.1" || !loanTarget(target) {
		return 0, false
	}
	length, haveLength := int64(0), false
	for len(rest) > 2 {
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !validFieldName(string(name)) || !validFieldValue(string(value)) {
			return 0, false // also a bare CR or LF, where net/http would end a line
		}
		value = bytes.Trim(value, " \t")
		switch {
		case asciiFold(name, "Content-Length"):
			if haveLength || !parseLength(string(value), &length) {
				return 0, false
			}
			haveLength = true
		case asciiFold(name, "Host"):
			if bytes.Contains(bytes.ToLower(value), []byte(".lambda-url.")) {
				return 0, false
			}
		case asciiFold(name, "Connection"):
			if !asciiFold(value, "keep-alive") {
				return 0, false
			}
		case asciiFold(name, "Transfer-Encoding"), asciiFold(name, "Expect"), asciiFold(name, "Upgrade"),
			asciiFold(name, "Trailer"):
			return 0, false
		}
	}
	return int64(len(raw)) + length, true
}

// loanTarget accepts the paths of Lambda's REST API and Hearth's own
// (/20xx-xx-xx/… and /hearth/…), but the streamed Invoke's.
func loanTarget(t []byte) bool {
	for _, c := range t {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return (bytes.HasPrefix(t, []byte("/20")) || bytes.HasPrefix(t, []byte("/hearth/"))) &&
		!bytes.HasPrefix(t, []byte("/2021-11-15/"))
}

// asciiFold compares a header name case-insensitively.
func asciiFold(b []byte, s string) bool {
	return len(b) == len(s) && bytes.EqualFold(b, []byte(s))
}

// loanConn is a connection lent to the http.Server for one request of n
// bytes.
type loanConn struct {
	net.Conn
	fc        *frontConn
	remaining atomic.Int64 // bytes of the request net/http has yet to read

	mu sync.Mutex // guards idle, eof and closeWrite
	// idle is set when net/http has answered and keeps the connection
	// (http.StateIdle); eof once it then read the end of the stream;
	// closeWrite if it half-closed the connection.
	idle, eof, closeWrite bool

	wake chan struct{} // a read deadline in the past
	done chan struct{} // closed by Close
	once sync.Once
}

func newLoanConn(fc *frontConn, n int64) *loanConn {
	l := &loanConn{Conn: fc.c, fc: fc, wake: make(chan struct{}, 1), done: make(chan struct{})}
	l.remaining.Store(n)
	return l
}

// Read gives net/http the request's bytes; past them it waits until
// net/http aborts its background read, or, once the answer is out, ends
// the stream.
func (l *loanConn) Read(p []byte) (int, error) {
	if rem := l.remaining.Load(); rem > 0 {
		if int64(len(p)) > rem {
			p = p[:rem]
		}
		n, err := l.fc.br.Read(p)
		l.remaining.Add(-int64(n))
		return n, err
	}
	l.mu.Lock()
	if l.idle {
		l.eof = true
		l.mu.Unlock()
		return 0, io.EOF
	}
	l.mu.Unlock()
	select {
	case <-l.wake:
		return 0, os.ErrDeadlineExceeded
	case <-l.done:
		return 0, net.ErrClosed
	}
}

// SetReadDeadline sets the connection's deadline and wakes a Read waiting
// past the request when the deadline has passed (net/http aborting its
// background read).
func (l *loanConn) SetReadDeadline(t time.Time) error {
	err := l.Conn.SetReadDeadline(t)
	if !t.IsZero() && !t.After(time.Now()) {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	return err
}

// SetDeadline is SetReadDeadline and SetWriteDeadline.
func (l *loanConn) SetDeadline(t time.Time) error {
	if err := l.SetReadDeadline(t); err != nil {
		return err
	}
	return l.Conn.SetWriteDeadline(t)
}

// CloseWrite half-closes the connection: net/http does so before closing
// one it does not keep.
func (l *loanConn) CloseWrite() error {
	l.mu.Lock()
	l.closeWrite = true
	l.mu.Unlock()
	if cw, ok := l.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close ends the loan; the Front decides whether the connection goes on.
func (l *loanConn) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// returned waits for the end of the loan and reports whether net/http kept
// the connection and read nothing past the request.
func (l *loanConn) returned() bool {
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.idle && l.eof && !l.closeWrite && l.remaining.Load() == 0
}

// connState marks a lent connection idle when net/http keeps it, then
// calls the hook the http.Server had.
func connState(prev func(net.Conn, http.ConnState)) func(net.Conn, http.ConnState) {
	return func(c net.Conn, st http.ConnState) {
		if l, ok := c.(*loanConn); ok && st == http.StateIdle {
			l.mu.Lock()
			l.idle = true
			l.mu.Unlock()
		}
		if prev != nil {
			prev(c, st)
		}
	}
}

// lend serves one request of n bytes through the http.Server and reports
// whether the connection came back to the Front.
func (fc *frontConn) lend(handOff *handover.Listener, n int64) bool {
	l := newLoanConn(fc, n)
	_ = fc.c.SetDeadline(time.Time{}) // net/http sets its own
	fc.rdl, fc.wdl = time.Time{}, time.Time{}
	handOff.Give(l)
	ok := l.returned()
	_ = fc.c.SetDeadline(time.Time{})
	return ok && !fc.closing.Load()
}
