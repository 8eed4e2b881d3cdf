// Package handover lets a hand-written HTTP/1.1 front pass the connections
// it does not serve itself to net/http's server, together with the bytes it
// has already read from them. The Lambda API's front and the Runtime API's
// lean connections both read a request's head without consuming it, serve
// the plain requests of their hot path, and hand everything else over.
package handover

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"sync"
)

// ErrHeadTooLong says a request head does not fit in the reader's buffer;
// net/http's parser, with its own limits, is the one to read it.
var ErrHeadTooLong = errors.New("request head larger than the buffer")

// Listener is the net.Listener an http.Server serves: its connections are
// the ones given to it.
type Listener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// NewListener returns a Listener that reports addr as its address.
func NewListener(addr net.Addr) *Listener {
	return &Listener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept returns the next connection given, or net.ErrClosed once closed.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close ends Accept; connections given later are closed.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr is the address of the listener the connections came from.
func (l *Listener) Addr() net.Addr { return l.addr }

// Give passes c to the server, or closes it once the listener is closed.
func (l *Listener) Give(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		_ = c.Close()
	}
}

// Peeked returns c with the bytes already buffered in r read first.
func Peeked(c net.Conn, r *bufio.Reader) net.Conn { return &peekedConn{Conn: c, r: r} }

type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) {
	if c.r.Buffered() > 0 {
		return c.r.Read(p)
	}
	return c.Conn.Read(p)
}

// PeekUntil returns br's buffered bytes up to and including the first sep,
// reading more as needed, without consuming them; ErrHeadTooLong when sep
// does not come within br's buffer.
func PeekUntil(br *bufio.Reader, sep []byte) ([]byte, error) {
	for n := 1; ; {
		if _, err := br.Peek(n); err != nil { // waits for n bytes
			if errors.Is(err, bufio.ErrBufferFull) {
				return nil, ErrHeadTooLong
			}
			return nil, err
		}
		b, _ := br.Peek(br.Buffered())
		if i := bytes.Index(b, sep); i >= 0 {
			return b[:i+len(sep)], nil
		}
		if n = len(b) + 1; n > br.Size() {
			return nil, ErrHeadTooLong
		}
	}
}
