package runtimeapi

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Invocation is one request handed to the runtime.
type Invocation struct {
	RequestID       string // Lambda-Runtime-Aws-Request-Id; required
	FunctionARN     string // Lambda-Runtime-Invoked-Function-Arn
	TraceID         string // Lambda-Runtime-Trace-Id (X-Ray header)
	ClientContext   string // Lambda-Runtime-Client-Context (JSON), omitted when empty
	CognitoIdentity string // Lambda-Runtime-Cognito-Identity (JSON), omitted when empty

	// Deadline is sent as Lambda-Runtime-Deadline-Ms (Unix milliseconds).
	// Zero means no deadline; the runtime is then told now + 15 minutes,
	// Lambda's longest timeout, since runtime clients require the header.
	Deadline time.Time

	Payload []byte // the event, sent as the /next response body

	// Stream, when set, receives a response the runtime streams, as it
	// arrives (see Stream); the Result then has Streamed set.
	Stream Stream

	// Resume, when set, is the environment, possibly frozen: Invoke thaws
	// it once the event is on its way — written to the runtime's waiting
	// GET /next, or queued for its next one — so that the runtime finds
	// the event when it resumes. Invoke fails with Resume's error.
	Resume Thawer
}

// Thawer resumes a frozen environment; see Invocation.Resume.
type Thawer interface {
	Thaw() error
}

// Result is the runtime's answer to an invocation. A failing function is a
// Result with an ErrorType, not a Go error.
type Result struct {
	// Payload is the response body, or the error body the runtime posted
	// (usually JSON {"errorMessage", "errorType", "stackTrace"}, but any
	// bytes, possibly none).
	Payload []byte

	// ErrorType is "" on success. Otherwise it is the error type the
	// runtime declared (the Lambda-Runtime-Function-Error-Type header when
	// it has Lambda's "Runtime.X"/"Function.X" form, else the body's
	// errorType, else the header as sent, else "Runtime.Unknown"), or
	// "Function.ResponseSizeTooLarge" for an oversized response.
	ErrorType string

	// Streamed says the response body went to Invocation.Stream; Payload
	// then holds only an error body, if any.
	Streamed bool
}

// maxTimeout stands in for a missing deadline.
const maxTimeout = 15 * time.Minute

// Header names, already in canonical form so they go into the header map
// without canonicalisation.
const (
	hdrRequestID       = "Lambda-Runtime-Aws-Request-Id"
	hdrDeadline        = "Lambda-Runtime-Deadline-Ms"
	hdrFunctionARN     = "Lambda-Runtime-Invoked-Function-Arn"
	hdrTraceID         = "Lambda-Runtime-Trace-Id"
	hdrClientContext   = "Lambda-Runtime-Client-Context"
	hdrCognitoIdentity = "Lambda-Runtime-Cognito-Identity"
	hdrContentType     = "Content-Type"
	hdrContentLength   = "Content-Length"
)

// maxHeaders is the number of headers a /next response can carry.
const maxHeaders = 8

// call is an invocation prepared for delivery: its /next headers are built
// once, in one allocation, so that every delivery (and re-delivery) only
// stores slices into the response's header map.
type call struct {
	id      string
	payload []byte
	// next is closed at the runtime's first GET /next after the outcome
	// of this call was posted (or the call abandoned): the invocation is
	// over and the environment may be frozen. Closed under Server.mu.
	next     chan struct{}
	nextSeen bool // next is closed; guarded by Server.mu
	// notice is called at that GET /next (NotifyNext); guarded by
	// Server.mu.
	notice *nextNotice
	begun  time.Time // when Invoke handed it out
	n      int
	stream Stream // Invocation.Stream
	keys   [maxHeaders]string
	vals   [maxHeaders]string
}

func newCall(inv Invocation) *call {
	c := &call{id: inv.RequestID, payload: inv.Payload, next: make(chan struct{}), stream: inv.Stream}
	deadline := inv.Deadline
	if deadline.IsZero() {
		deadline = time.Now().Add(maxTimeout)
	}
	c.add(hdrRequestID, inv.RequestID)
	c.add(hdrDeadline, strconv.FormatInt(deadline.UnixMilli(), 10))
	c.add(hdrFunctionARN, inv.FunctionARN)
	c.add(hdrTraceID, inv.TraceID)
	c.add(hdrClientContext, inv.ClientContext)
	c.add(hdrCognitoIdentity, inv.CognitoIdentity)
	c.add(hdrContentType, "application/json")
	c.add(hdrContentLength, strconv.Itoa(len(inv.Payload)))
	return c
}

// add records a header unless its value is empty, as Lambda omits them.
func (c *call) add(key, val string) {
	if val == "" {
		return
	}
	c.keys[c.n] = key
	c.vals[c.n] = val
	c.n++
}

// Invoke hands inv to the runtime's pending (or next) GET /next and waits
// for its /response or /error. It returns as soon as the outcome is posted,
// as Lambda answers its caller; the invocation itself lasts until the
// runtime asks for the next one (AwaitNext). It returns the runtime's Result, or an error
// wrapping ctx.Err() when ctx is done first (a timeout, decided by the
// caller), one wrapping context.Canceled once the process exited (Exited), ErrBusy when another Invoke is in flight, or
// ErrClosed. Invoke may be called before init is done; the invocation then
// waits for the runtime's first /next.
func (s *Server) Invoke(ctx context.Context, inv Invocation) (Result, error) {
	if inv.RequestID == "" {
		return Result{}, fmt.Errorf("runtimeapi: invoke: empty request id")
	}
	if !s.busy.TryLock() {
		return Result{}, fmt.Errorf("invoke %s: %w", inv.RequestID, ErrBusy)
	}
	defer s.busy.Unlock()

	c := newCall(inv)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return Result{}, fmt.Errorf("invoke %s: %w", inv.RequestID, ErrClosed)
	}
	s.cur = c
	s.last = c
	c.begun = time.Now()
	s.startLocked(c)
	s.queueInvokeLocked(inv)
	if s.parked {
		close(s.wake)
		s.wake = make(chan struct{})
		s.parked = false
	}
	waiting := s.takeWaitersLocked()
	s.mu.Unlock()
	deliverTo(waiting, c)
	if inv.Resume != nil {
		if err := inv.Resume.Thaw(); err != nil {
			if res, ok := s.abandon(c); ok {
				return res, nil
			}
			return Result{}, fmt.Errorf("invoke %s: %w", inv.RequestID, err)
		}
	}

	select {
	case res := <-s.results:
		return res, nil
	case <-ctx.Done():
		if res, ok := s.abandon(c); ok {
			return res, nil
		}
		return Result{}, fmt.Errorf("invoke %s: %w", inv.RequestID, ctx.Err())
	case <-s.done:
		if res, ok := s.abandon(c); ok {
			return res, nil
		}
		return Result{}, fmt.Errorf("invoke %s: %w", inv.RequestID, ErrClosed)
	case <-s.exited:
		if res, ok := s.abandon(c); ok {
			return res, nil
		}
		return Result{}, fmt.Errorf("invoke %s: %w", inv.RequestID, errExited)
	}
}

// abandon withdraws c. If the runtime's outcome arrived first it is
// returned instead, so that the results channel is always left empty for
// the next Invoke.
func (s *Server) abandon(c *call) (Result, bool) {
	s.mu.Lock()
	if s.cur == c {
		s.cur = nil
		s.mu.Unlock()
		return Result{}, false
	}
	s.mu.Unlock()
	// The outcome was accepted under mu, which also sent it: it is there.
	return <-s.results, true
}
