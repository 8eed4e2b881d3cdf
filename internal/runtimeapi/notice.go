package runtimeapi

import (
	"context"
	"fmt"
	"sync/atomic"
)

// errExited is what waits end with once the runtime's process has exited.
// It wraps context.Canceled, as the process's context would.
var errExited = fmt.Errorf("runtime process exited: %w", context.Canceled)

// nextNotice is a NotifyNext registration: fn runs exactly once, with nil
// at the runtime's next GET /next or with the error that ended the wait.
type nextNotice struct {
	fired atomic.Bool
	fn    func(error)
	// stop withdraws the context's AfterFunc; set before the notice is
	// published under Server.mu, read only by fire(…, true).
	stop func() bool
}

// fire runs fn unless it ran already. withdraw stops the context's
// AfterFunc, so that cancelling the context later starts no goroutine; the
// AfterFunc itself fires with withdraw false.
func (n *nextNotice) fire(err error, withdraw bool) {
	if n.fired.Swap(true) {
		return
	}
	if withdraw {
		n.stop()
	}
	n.fn(err)
}

// NotifyNext is AwaitNext without a waiting goroutine: fn is called once,
// with nil on the goroutine serving the runtime's next GET /next (at once if
// it came already), or with an error when ctx ends, the process exits
// (Exited) or the server closes. It reports false, and does nothing, when
// extensions are registered: Lambda then also waits for every extension,
// which AwaitNext does.
//
// fn runs while the runtime waits for its /next answer, so it may release
// and freeze the environment; it must not call back into a Server method
// that waits for the runtime.
func (s *Server) NotifyNext(ctx context.Context, fn func(error)) bool {
	s.mu.Lock()
	l, exts := s.last, len(s.exts)
	s.mu.Unlock()
	if exts > 0 {
		return false
	}
	if l == nil {
		fn(nil)
		return true
	}
	n := &nextNotice{fn: fn}
	n.stop = context.AfterFunc(ctx, func() {
		n.fire(fmt.Errorf("await next after %s: %w", l.id, ctx.Err()), false)
	})
	s.mu.Lock()
	switch {
	case l.nextSeen:
		s.mu.Unlock()
		n.fire(nil, true)
	case s.closed:
		s.mu.Unlock()
		n.fire(fmt.Errorf("await next after %s: %w", l.id, ErrClosed), true)
	case s.gone:
		s.mu.Unlock()
		n.fire(fmt.Errorf("await next after %s: %w", l.id, errExited), true)
	default:
		l.notice = n
		s.mu.Unlock()
	}
	return true
}

// takeNoticeLocked removes and returns the notice waiting for the runtime's
// next request, if any. s.mu must be held.
func (s *Server) takeNoticeLocked() (*nextNotice, string) {
	l := s.last
	if l == nil || l.notice == nil {
		return nil, ""
	}
	n := l.notice
	l.notice = nil
	return n, l.id
}

// Exited tells the Server that its runtime's process has exited: an Invoke
// or AwaitNext in progress, and a NotifyNext registration, end with an
// error wrapping context.Canceled, as do later ones.
func (s *Server) Exited() {
	s.mu.Lock()
	if s.gone {
		s.mu.Unlock()
		return
	}
	s.gone = true
	close(s.exited)
	n, id := s.takeNoticeLocked()
	s.mu.Unlock()
	if n != nil {
		// Not on the caller's goroutine: fn ends the invocation, which may
		// wait briefly for the process's exit status. fn's owner counts it.
		go n.fire(fmt.Errorf("await next after %s: %w", id, errExited), true)
	}
}
