package runtimeapi

import (
	"context"
	"fmt"
)

// AwaitNext waits until the runtime, having posted the outcome of the last
// invocation, asks for its next one: on Lambda that, not the response, ends
// an invocation, and only then is the environment frozen. Work the runtime
// does after responding belongs to the invocation it answered.
//
// It returns nil at that GET /next (at once if it came already, or if no
// invocation was ever made), an error wrapping ctx.Err() when ctx ends first
// (the caller's deadline, or the process's exit), or ErrClosed.
func (s *Server) AwaitNext(ctx context.Context) error {
	s.mu.Lock()
	l := s.last
	s.mu.Unlock()
	if l == nil {
		return nil
	}
	select {
	case <-l.next:
		// Lambda freezes only once every extension has asked for its
		// next event too.
		if err := s.waitExtensions(ctx, (*extension).idle); err != nil {
			return fmt.Errorf("await extensions after %s: %w", l.id, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("await next after %s: %w", l.id, ctx.Err())
	case <-s.done:
		return fmt.Errorf("await next after %s: %w", l.id, ErrClosed)
	case <-s.exited:
		return fmt.Errorf("await next after %s: %w", l.id, errExited)
	}
}
