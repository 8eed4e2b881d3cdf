package api

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hearth-run/hearth/internal/handover"
)

// The API's hot request is Invoke: POST /2015-03-31/functions/{name}/
// invocations with a small JSON body. net/http's server spends on each a
// parsed header map, a URL, a Request, a response header clone, a
// background-read goroutine and two contexts. The Front serves the API's
// connections itself while they carry plain Invokes (HTTP/1.1, a fixed
// Content-Length, nothing unusual in the head): it reads the head with a
// few byte comparisons into a Request and header map kept per connection,
// runs the same handler as the routed request, and answers with one write.
// At the first request it does not take — another route, a chunked body,
// Expect: 100-continue, an upgrade, a head too large for its buffer,
// anything odd — it hands the connection, the buffered bytes replayed, to
// the http.Server, which serves the rest of it as it would have served all
// of it. TLS connections go to the http.Server from the start.

// FrontOptions configures a Front.
type FrontOptions struct {
	// HTTP serves every connection the front hands over. Its
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout and
	// MaxHeaderBytes bound the requests the front serves too. Required;
	// NewFront wraps its ConnState hook to learn when a lent connection
	// is idle again.
	HTTP *http.Server
	// MaxHeaders is the most header fields of a request the front serves;
	// one with more is handed to HTTP (whose handler refuses it). Zero or
	// more than 64: 64.
	MaxHeaders int
}

// Front serves the API's listeners: Invokes on its own, the rest through
// FrontOptions.HTTP.
type Front struct {
	s          *Server
	opts       FrontOptions
	maxHeaders int
	// ctx is the context of every request the front serves; Shutdown
	// cancels it once the requests are done.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // the connections' goroutines
	// served counts the requests the front answered itself.
	served atomic.Int64
	// watch detects clients that go away while their Invoke runs
	// (frontwatch_linux.go); made by the first Serve, closed by Shutdown
	// once no connection is left. Nil: none are detected.
	watch     *watcher
	watchOnce sync.Once

	mu sync.Mutex // guards lns, conns and closed
	// lns are the listeners being served; conns the connections being
	// served here; closed is set by Shutdown.
	lns    map[net.Listener]struct{}
	conns  map[*frontConn]struct{}
	closed bool
}

// NewFront returns a Front that serves s's Invokes and hands the rest to
// opts.HTTP, whose Handler should be s (or wrap it).
func (s *Server) NewFront(opts FrontOptions) *Front {
	f := &Front{s: s, opts: opts, maxHeaders: opts.MaxHeaders,
		lns: map[net.Listener]struct{}{}, conns: map[*frontConn]struct{}{}}
	if f.maxHeaders <= 0 || f.maxHeaders > maxFrontHeaders {
		f.maxHeaders = maxFrontHeaders
	}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	opts.HTTP.ConnState = connState(opts.HTTP.ConnState)
	return f
}

// Serve accepts connections on ln until it closes or Shutdown is called,
// which makes it return http.ErrServerClosed. It may be called for several
// listeners at once.
func (f *Front) Serve(ln net.Listener) error {
	f.watchOnce.Do(f.startWatch)
	handOff := handover.NewListener(ln.Addr())
	served := make(chan error, 1)
	go func() { served <- f.opts.HTTP.Serve(handOff) }() // ends when handOff closes, below or by Shutdown
	defer func() { _ = handOff.Close(); <-served }()
	if !f.trackListener(ln, true) {
		_ = ln.Close()
		return http.ErrServerClosed
	}
	defer f.trackListener(ln, false)
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if f.isClosed() {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				f.s.log.Warn("API accept failed; retrying", "err", err, "in", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		f.wg.Add(1)
		go f.serveConn(c, handOff) // owned by the Front: Shutdown waits for it
	}
}

// Shutdown stops the listeners, closes idle connections, lets requests in
// flight finish (or ctx end), and shuts the http.Server down likewise.
func (f *Front) Shutdown(ctx context.Context) error {
	f.watchOnce.Do(func() {}) // a Serve's startWatch is done; a later one starts none
	f.mu.Lock()
	f.closed = true
	for ln := range f.lns {
		_ = ln.Close()
	}
	for fc := range f.conns {
		fc.shutdown()
	}
	f.mu.Unlock()
	err := f.opts.HTTP.Shutdown(ctx)
	done := make(chan struct{})
	go func() { f.wg.Wait(); f.watch.close(); close(done) }() // ends when every connection has
	select {
	case <-done:
	case <-ctx.Done():
		f.closeConns()
		if err == nil {
			err = ctx.Err()
		}
	}
	f.cancel()
	return err
}

// startWatch makes the watcher of disconnects.
func (f *Front) startWatch() {
	w, err := newWatcher()
	if err != nil {
		f.s.log.Warn("API front: client disconnects are not detected", "err", err)
		return
	}
	f.watch = w
}

func (f *Front) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// trackListener adds or removes a listener; it reports false once the
// Front is shut down.
func (f *Front) trackListener(ln net.Listener, add bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !add {
		delete(f.lns, ln)
		return true
	}
	if f.closed {
		return false
	}
	f.lns[ln] = struct{}{}
	return true
}

// track adds or removes a connection; it reports false once the Front is
// shut down.
func (f *Front) track(fc *frontConn, add bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !add {
		delete(f.conns, fc)
		return true
	}
	if f.closed {
		return false
	}
	f.conns[fc] = struct{}{}
	return true
}

func (f *Front) closeConns() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for fc := range f.conns {
		_ = fc.c.Close()
	}
}

// serveConn serves c here as long as its requests are Invokes, then hands
// it to the http.Server.
func (f *Front) serveConn(c net.Conn, handOff *handover.Listener) {
	defer f.wg.Done()
	if _, ok := c.(*tls.Conn); ok {
		handOff.Give(c)
		return
	}
	fc := newFrontConn(f, c)
	if !f.track(fc, true) {
		_ = c.Close()
		return
	}
	handOver := fc.serve(handOff)
	f.track(fc, false)
	fc.release()
	if !handOver {
		if fc.linger {
			if cw, ok := c.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
			time.Sleep(lingerDelay)
		}
		_ = c.Close()
		return
	}
	// net/http sets its own deadlines on the connection, or none.
	_ = c.SetDeadline(time.Time{})
	handOff.Give(handover.Peeked(c, fc.br))
}
