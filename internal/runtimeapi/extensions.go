package runtimeapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Extensions API (2020-01-01) paths and headers.
const (
	extPrefix         = "/2020-01-01/extension/"
	pathExtRegister   = "register"
	pathExtNext       = "event/next"
	pathExtInitError  = "init/error"
	pathExtExitError  = "exit/error"
	hdrExtName        = "Lambda-Extension-Name"
	hdrExtID          = "Lambda-Extension-Identifier"
	hdrExtEventID     = "Lambda-Extension-Event-Identifier"
	hdrExtErrorType   = "Lambda-Extension-Function-Error-Type"
	eventInvoke       = "INVOKE"
	eventShutdown     = "SHUTDOWN"
	maxExtensions     = 10 // Lambda's limit per function
	shutdownAckBound  = 2 * time.Second
	errExtInvalidID   = "Extension.InvalidExtensionIdentifier"
	errExtInvalidBody = "InvalidRequest"
)

// Shutdown reasons of a SHUTDOWN event.
const (
	ShutdownSpindown = "spindown"
	ShutdownTimeout  = "timeout"
	ShutdownFailure  = "failure"
)

// ExtensionInfo is what an extension learns at registration.
type ExtensionInfo struct {
	FunctionName    string `json:"functionName"`
	FunctionVersion string `json:"functionVersion"`
	Handler         string `json:"handler"`
}

// extension is one registered extension. Its fields are guarded by
// Server.mu.
type extension struct {
	id, name string
	external bool
	invoke   bool // registered for INVOKE
	shutdown bool // registered for SHUTDOWN
	// asked says it has called /event/next at least once: it is done
	// with Init.
	asked bool
	// queue holds events not yet handed out.
	queue []extEvent
	// working says an event was handed out and the extension has not
	// asked for the next one since: the environment must not freeze.
	working bool
	// gone says the extension took its SHUTDOWN event and hung up.
	gone bool
}

// extEvent is one event rendered for an extension.
type extEvent struct {
	body     []byte
	shutdown bool
}

// idle reports whether the extension has nothing to do.
func (x *extension) idle() bool { return x.gone || len(x.queue) == 0 && !x.working }

// Extensions reports how many internal and external extensions have
// registered. Lambda's Shutdown phase depends on them.
func (s *Server) Extensions() (internal, external int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.exts {
		if x.external {
			external++
		} else {
			internal++
		}
	}
	return internal, external
}

// Shutdown hands a SHUTDOWN event to every extension registered for it and
// waits until each has taken it and hung up, or asked for more, or ctx
// ends.
func (s *Server) Shutdown(ctx context.Context, reason string) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(shutdownAckBound)
	}
	s.flushTelemetry(ctx)
	ev, _ := json.Marshal(struct {
		EventType      string `json:"eventType"`
		ShutdownReason string `json:"shutdownReason"`
		DeadlineMs     int64  `json:"deadlineMs"`
	}{eventShutdown, reason, deadline.UnixMilli()})
	s.mu.Lock()
	for _, x := range s.exts {
		if x.shutdown {
			x.queue = append(x.queue, extEvent{body: ev, shutdown: true})
		}
	}
	s.broadcastLocked()
	s.mu.Unlock()
	err := s.waitExtensions(ctx, func(x *extension) bool { return !x.shutdown || x.gone || x.idle() })
	if err == nil {
		// An extension hangs up as it exits: let it finish (print its last
		// words) before the runtime's SIGTERM reaches the tree.
		t := time.NewTimer(shutdownSettle)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
}

// shutdownSettle is how long an extension that took its SHUTDOWN event and
// hung up may still run before the rest of the Shutdown phase.
const shutdownSettle = 50 * time.Millisecond

// waitExtensions waits until done holds for every extension, ctx ends or
// the server closes.
func (s *Server) waitExtensions(ctx context.Context, done func(*extension) bool) error {
	for {
		s.mu.Lock()
		all := true
		for _, x := range s.exts {
			if !done(x) {
				all = false
				break
			}
		}
		changed := s.changed
		s.mu.Unlock()
		if all {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return ErrClosed
		}
	}
}

// broadcastLocked wakes everything waiting on extension state: parked
// /event/next calls, Shutdown and AwaitNext. Called with mu held.
func (s *Server) broadcastLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// queueInvokeLocked hands the INVOKE event of c to the extensions
// registered for it. Called with mu held.
func (s *Server) queueInvokeLocked(inv Invocation) {
	var ev []byte
	for _, x := range s.exts {
		if !x.invoke {
			continue
		}
		if ev == nil {
			ev = invokeEvent(inv)
		}
		x.queue = append(x.queue, extEvent{body: ev})
	}
	if ev != nil {
		s.broadcastLocked()
	}
}

// invokeEvent renders the INVOKE event of an invocation.
func invokeEvent(inv Invocation) []byte {
	deadline := inv.Deadline
	if deadline.IsZero() {
		deadline = time.Now().Add(maxTimeout)
	}
	type tracing struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	}
	b, _ := json.Marshal(struct {
		EventType          string  `json:"eventType"`
		DeadlineMs         int64   `json:"deadlineMs"`
		RequestID          string  `json:"requestId"`
		InvokedFunctionArn string  `json:"invokedFunctionArn"`
		Tracing            tracing `json:"tracing"`
	}{eventInvoke, deadline.UnixMilli(), inv.RequestID, inv.FunctionARN, tracing{"X-Amzn-Trace-Id", inv.TraceID}})
	return b
}

// extensionsReadyLocked reports whether the extensions are done with Init:
// every expected external extension has registered and every registered
// one has asked for its first event. Called with mu held.
func (s *Server) extensionsReadyLocked() bool {
	for _, name := range s.externalNames {
		if !slices.ContainsFunc(s.exts, func(x *extension) bool { return x.name == name }) {
			return false
		}
	}
	for _, x := range s.exts {
		if !x.asked {
			return false
		}
	}
	return true
}

// maybeReadyLocked ends Init once the runtime and every extension have
// asked for work. Called with mu held.
func (s *Server) maybeReadyLocked() {
	if s.state == stateRunning && !s.initDone && s.extensionsReadyLocked() {
		s.initDoneLocked()
		s.initDone = true
		s.backlog = nil
		close(s.ready)
	}
}

// extensionByID finds a registered extension. Called with mu held.
func (s *Server) extensionByID(id string) *extension {
	for _, x := range s.exts {
		if x.id == id {
			return x
		}
	}
	return nil
}

// newUUID returns a random UUID (version 4) for extension identifiers.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
