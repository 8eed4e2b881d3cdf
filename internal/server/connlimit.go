package server

import (
	"net"
	"net/http"
	"sync"

	"github.com/hearth-run/hearth/internal/config"
)

// limitListener closes connections from a client address that already
// holds max open connections, so that one client (or one function) cannot
// exhaust Hearth's file descriptors with idle connections.
type limitListener struct {
	net.Listener
	max int

	mu sync.Mutex // guards open
	// open counts the open connections per client IP address.
	open map[string]int
}

func newLimitListener(l net.Listener, max int) *limitListener {
	return &limitListener{Listener: l, max: max, open: map[string]int{}}
}

// Accept returns the next connection within its client's limit; those over
// it are closed at once and never reach the HTTP server.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host := clientHost(c)
		l.mu.Lock()
		ok := l.open[host] < l.max
		if ok {
			l.open[host]++
		}
		l.mu.Unlock()
		if ok {
			return &limitConn{Conn: c, l: l, host: host}, nil
		}
		c.Close()
	}
}

func (l *limitListener) release(host string) {
	l.mu.Lock()
	if l.open[host]--; l.open[host] <= 0 {
		delete(l.open, host)
	}
	l.mu.Unlock()
}

func clientHost(c net.Conn) string {
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}

// limitConn gives its slot back once, when closed.
type limitConn struct {
	net.Conn
	l    *limitListener
	host string
	once sync.Once
}

// NetConn returns the connection c wraps: the API's front watches its
// socket for a client that goes away.
func (c *limitConn) NetConn() net.Conn { return c.Conn }

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.host) })
	return err
}

// apiHTTPServer is the API's http.Server with the configured limits.
func apiHTTPServer(h http.Handler, l config.HTTPLimits) *http.Server {
	return &http.Server{
		Handler:           limitHeaders(h, l.MaxHeaders),
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
}
