package runtimeapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hearth-run/hearth/internal/handover"
)

// DefaultMaxResponseBytes is Lambda's limit on a synchronous response
// payload: 6 MiB plus 100 bytes, the figure its error message names.
const DefaultMaxResponseBytes = 6*1024*1024 + 100

// Options configures a Server.
type Options struct {
	// Listener is where the Runtime API is served, usually a loopback TCP
	// listener whose address goes into AWS_LAMBDA_RUNTIME_API. The Server
	// owns it and closes it on Close. Required.
	Listener net.Listener

	// MaxResponseBytes bounds the body of /response and /error. A larger
	// body is answered 413 and turned into a Function.ResponseSizeTooLarge
	// result. Zero means DefaultMaxResponseBytes.
	MaxResponseBytes int

	// Logger receives protocol violations (at debug level) and HTTP server
	// errors. Nil discards them.
	Logger *slog.Logger

	// ExternalExtensions names the executables started from
	// /opt/extensions: Init waits until each has registered, and they
	// count as external extensions. Any other registration is internal.
	ExternalExtensions []string

	// Info is what extensions are told at registration.
	Info ExtensionInfo

	// InitType is AWS_LAMBDA_INITIALIZATION_TYPE, told in Init's
	// Telemetry API events. Default "on-demand".
	InitType string

	// Dial connects to a Telemetry API subscriber's listener as seen from
	// inside the environment. Nil dials from the host.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// runtimeState is where the runtime is in its life, as far as the Runtime
// API can tell. It decides which calls are allowed.
type runtimeState int

const (
	stateStarted   runtimeState = iota // process started, no /next yet (init)
	stateInitError                     // the runtime posted /init/error
	stateRunning                       // init done: first /next seen
)

// String returns the state name Lambda uses in its error messages.
func (st runtimeState) String() string {
	switch st {
	case stateStarted:
		return "Started"
	case stateInitError:
		return "InitError"
	default:
		return "Running"
	}
}

// Server is the Runtime API of one execution environment. Its methods are
// safe for concurrent use.
type Server struct {
	maxBytes int
	log      *slog.Logger
	http     *http.Server
	ln       net.Listener  // Options.Listener
	served   chan struct{} // closed when the net/http server has returned
	accepted chan struct{} // closed when the accept loop has returned
	// httpLn hands the connections this package does not serve itself to
	// http (conn.go).
	httpLn *handover.Listener
	connMu sync.Mutex // guards conns
	// conns are the connections being served here; nil once closed.
	conns map[net.Conn]struct{}

	ready   chan struct{} // closed at the first GET /next
	initErr chan []byte   // capacity 1: the body of /init/error
	done    chan struct{} // closed by Close
	exited  chan struct{} // closed by Exited
	results chan Result   // capacity 1: the outcome of the call in flight

	// busy is held by the one Invoke allowed at a time, from its start
	// until it has collected (or abandoned) its result.
	busy sync.Mutex

	// externalNames and info are Options.ExternalExtensions and Info.
	externalNames []string
	info          ExtensionInfo

	// mu guards state, cur, last, wake, closed, gone, initDone, exts,
	// changed and the calls' notices.
	mu    sync.Mutex
	state runtimeState
	// cur is the invocation in flight, from Invoke until the runtime posts
	// its outcome or Invoke gives up; nil otherwise.
	cur *call
	// last is the invocation most recently handed to Invoke; AwaitNext
	// waits for the runtime's GET /next after it.
	last *call
	// wake is closed (and replaced) when cur is set, waking every parked
	// GET /next at once.
	wake chan struct{}
	// parked says a long poll may wait on wake: Invoke replaces wake only
	// then.
	parked bool
	// waiting are the runtime connections served here whose GET /next
	// waits for an invocation; Invoke answers them itself (waiter.go).
	waiting []*leanConn
	closed  bool
	// gone says the runtime's process has exited (Exited).
	gone bool
	// initDone says Init is over: the runtime and every extension have
	// asked for work (ready is closed).
	initDone bool
	// exts are the registered extensions, in order of registration.
	exts []*extension
	// changed is closed (and replaced) whenever an extension's state
	// changes or events are queued for extensions.
	changed chan struct{}

	closeOnce sync.Once
	closeErr  error

	telemetryState
}

// New starts serving the Runtime API on opts.Listener. The serving goroutine
// belongs to the Server; Close stops it and waits for it.
func New(opts Options) *Server {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	maxBytes := opts.MaxResponseBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxResponseBytes
	}
	s := &Server{
		maxBytes: maxBytes,
		log:      logger,
		served:   make(chan struct{}),
		ln:       opts.Listener,
		accepted: make(chan struct{}),
		httpLn:   handover.NewListener(opts.Listener.Addr()),
		conns:    map[net.Conn]struct{}{},
		ready:    make(chan struct{}),
		initErr:  make(chan []byte, 1),
		done:     make(chan struct{}),
		exited:   make(chan struct{}),
		results:  make(chan Result, 1),
		wake:     make(chan struct{}),
		changed:  make(chan struct{}),

		externalNames: opts.ExternalExtensions,
		info:          opts.Info,
	}
	s.doneCtx, s.stopDone = context.WithCancel(context.Background())
	s.dial, s.initType, s.started = opts.Dial, opts.InitType, time.Now()
	if s.initType == "" {
		s.initType = "on-demand"
	}
	s.Emit(TelemetryInitStart, map[string]string{"initializationType": s.initType, "phase": "init",
		"functionName": opts.Info.FunctionName, "functionVersion": opts.Info.FunctionVersion})
	// No read, write or idle timeouts: /next is a long poll, and an idle
	// environment may sit frozen for a long time between invocations.
	s.http = &http.Server{
		Handler:  s,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(s.served)
		_ = s.http.Serve(s.httpLn) // ends at Close, with http.ErrServerClosed
	}()
	go s.accept(opts.Listener) // owned by the Server: Close closes the listener
	return s
}

// Ready is closed when the runtime first asks for an invocation, which is
// how Lambda knows that init is done.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// InitError receives the body the runtime posted to /init/error, at most
// once. The caller decides what to do with the environment.
func (s *Server) InitError() <-chan []byte { return s.initErr }

// Close stops the server: the listener and all connections are closed,
// parked long polls and a waiting Invoke return, and the serving goroutine
// is waited for. Handler goroutines belong to net/http and return promptly
// once done is closed.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.done)
		n, id := s.takeNoticeLocked()
		s.mu.Unlock()
		if n != nil {
			// Not on the caller's goroutine, which may hold the pool's
			// lock that ending the invocation takes. fn's owner counts it.
			go n.fire(fmt.Errorf("await next after %s: %w", id, ErrClosed), true)
		}
		s.stopDone()
		if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			s.closeErr = err
		}
		s.closeConns()
		<-s.accepted
		if err := s.http.Close(); err != nil {
			s.closeErr = err
		}
		<-s.served
		s.telemetryWG.Wait()
	})
	return s.closeErr
}

// Runtime API paths, relative to the version prefix.
const (
	apiPrefix      = "/2018-06-01/runtime/"
	pathNext       = "invocation/next"
	pathInitError  = "init/error"
	pathInvocation = "invocation/"
)

// ServeHTTP routes a Runtime API request. Routing is a few string
// comparisons: it sits on every invocation's path.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, apiPrefix)
	if !ok {
		if r.URL.Path == pathTelemetry {
			if allow(w, r, http.MethodPut) {
				s.handleTelemetry(w, r)
			}
			return
		}
		s.serveExtensions(w, r)
		return
	}
	switch rest {
	case pathNext:
		if allow(w, r, http.MethodGet) {
			s.handleNext(w, r)
		}
		return
	case pathInitError:
		if allow(w, r, http.MethodPost) {
			s.handleInitError(w, r)
		}
		return
	}
	if tail, ok := strings.CutPrefix(rest, pathInvocation); ok {
		if id, ok := strings.CutSuffix(tail, "/response"); ok && validID(id) {
			if allow(w, r, http.MethodPost) {
				s.handleOutcome(w, r, id, false)
			}
			return
		}
		if id, ok := strings.CutSuffix(tail, "/error"); ok && validID(id) {
			if allow(w, r, http.MethodPost) {
				s.handleOutcome(w, r, id, true)
			}
			return
		}
	}
	http.NotFound(w, r)
}

// validID reports whether a path segment can be a request id.
func validID(id string) bool {
	return id != "" && !strings.Contains(id, "/")
}

// allow answers 405 unless r uses method.
func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	w.Header()["Allow"] = []string{method}
	w.WriteHeader(http.StatusMethodNotAllowed)
	return false
}

// serveExtensions routes an Extensions API request.
func (s *Server) serveExtensions(w http.ResponseWriter, r *http.Request) {
	switch strings.TrimPrefix(r.URL.Path, extPrefix) {
	case pathExtRegister:
		if allow(w, r, http.MethodPost) {
			s.handleExtRegister(w, r)
		}
	case pathExtNext:
		if allow(w, r, http.MethodGet) {
			s.handleExtNext(w, r)
		}
	case pathExtInitError:
		if allow(w, r, http.MethodPost) {
			s.handleExtError(w, r, true)
		}
	case pathExtExitError:
		if allow(w, r, http.MethodPost) {
			s.handleExtError(w, r, false)
		}
	default:
		http.NotFound(w, r)
	}
}
