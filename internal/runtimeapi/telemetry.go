package runtimeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Telemetry API (schema 2022-12-13) event types Hearth emits.
const (
	TelemetryInitStart       = "platform.initStart"
	TelemetryInitRuntimeDone = "platform.initRuntimeDone"
	TelemetryInitReport      = "platform.initReport"
	TelemetryStart           = "platform.start"
	TelemetryRuntimeDone     = "platform.runtimeDone"
	TelemetryReport          = "platform.report"
	telemetryFunction        = "function"
)

// maxBacklog bounds the events kept for subscribers from the start of
// Init, and the events queued for one subscriber.
const maxBacklog = 10000

// telemetryEvent is one event, rendered.
type telemetryEvent struct {
	category string // "platform", "function" or "extension"
	body     json.RawMessage
}

// subscription is one extension's Telemetry API subscription. Its queue is
// guarded by Server.mu; its goroutine, owned by the Server, delivers.
type subscription struct {
	uri      string
	types    map[string]bool
	maxItems int
	maxBytes int
	timeout  time.Duration

	queue  []json.RawMessage // guarded by Server.mu
	bytes  int               // size of queue; guarded by Server.mu
	wake   chan struct{}     // capacity 1: events were queued
	flush  chan chan struct{}
	client *http.Client
}

// Subscribed reports whether an event emitted now would be delivered, so
// that callers build records only then.
func (s *Server) Subscribed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.telemetryWantedLocked()
}

// Emit hands a platform event to the Telemetry API subscribers: eventType
// is one of the Telemetry* names, record its record object.
func (s *Server) Emit(eventType string, record any) {
	s.emit("platform", eventType, record)
}

func (s *Server) emit(category, eventType string, record any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emitLocked(category, eventType, record)
}

// telemetryWantedLocked reports whether an event now would reach anyone:
// a subscriber, or the backlog kept during Init. Called with mu held; an
// invocation without subscribers renders no events.
func (s *Server) telemetryWantedLocked() bool { return len(s.subs) > 0 || !s.initDone }

// emitLocked is emit with mu held.
func (s *Server) emitLocked(category, eventType string, record any) {
	if !s.telemetryWantedLocked() {
		return
	}
	b, err := json.Marshal(struct {
		Time   string `json:"time"`
		Type   string `json:"type"`
		Record any    `json:"record"`
	}{time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), eventType, record})
	if err != nil {
		return
	}
	ev := telemetryEvent{category: category, body: b}
	if !s.initDone && len(s.backlog) < maxBacklog {
		// Subscriptions come during Init; they get Init's events too.
		s.backlog = append(s.backlog, ev)
	}
	for _, sub := range s.subs {
		sub.queueLocked(ev)
	}
}

// Write takes the environment's output (stdout and stderr): each line goes
// to subscribers of "function" events. It never fails.
func (s *Server) Write(p []byte) (int, error) {
	s.mu.Lock()
	wanted := s.telemetryWantedLocked()
	s.mu.Unlock()
	if !wanted {
		return len(p), nil
	}
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line != "" {
			s.emit(telemetryFunction, telemetryFunction, line)
		}
	}
	return len(p), nil
}

// queueLocked adds ev if the subscriber wants its category. Called with
// Server.mu held.
func (sub *subscription) queueLocked(ev telemetryEvent) {
	if !sub.types[ev.category] {
		return
	}
	if len(sub.queue) >= maxBacklog {
		sub.bytes -= len(sub.queue[0])
		sub.queue = sub.queue[1:] // the oldest goes, as Lambda drops when full
	}
	sub.queue = append(sub.queue, ev.body)
	sub.bytes += len(ev.body)
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

// deliver runs for the life of the Server: it posts queued events as a
// JSON array when maxItems or maxBytes are reached or timeout has passed.
func (s *Server) deliver(sub *subscription) {
	defer s.telemetryWG.Done()
	for {
		var ack chan struct{}
		select {
		case <-s.done:
			return
		case ack = <-sub.flush:
		case <-sub.wake:
			s.mu.Lock()
			full := len(sub.queue) >= sub.maxItems || sub.bytes >= sub.maxBytes
			s.mu.Unlock()
			if !full {
				t := time.NewTimer(sub.timeout)
				select {
				case <-s.done:
					t.Stop()
					return
				case ack = <-sub.flush:
				case <-t.C:
				}
				t.Stop()
			}
		}
		s.post(sub)
		if ack != nil {
			close(ack)
		}
	}
}

// post sends the queued events, at most maxItems at a time.
func (s *Server) post(sub *subscription) {
	for {
		s.mu.Lock()
		n := min(len(sub.queue), sub.maxItems)
		batch := sub.queue[:n:n]
		sub.queue = sub.queue[n:]
		for _, b := range batch {
			sub.bytes -= len(b)
		}
		s.mu.Unlock()
		if n == 0 {
			return
		}
		var buf bytes.Buffer
		buf.WriteByte('[')
		for i, b := range batch {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(b)
		}
		buf.WriteByte(']')
		ctx, cancel := context.WithCancel(context.Background())
		stop := context.AfterFunc(s.doneCtx, cancel)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.uri, &buf)
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			var resp *http.Response
			if resp, err = sub.client.Do(req); err == nil {
				resp.Body.Close()
			}
		}
		stop()
		cancel()
		if err != nil {
			s.log.Debug("telemetry delivery failed", "uri", sub.uri, "err", err)
			return
		}
	}
}

// flushTelemetry delivers what is queued for every subscriber, waiting
// at most until ctx ends.
func (s *Server) flushTelemetry(ctx context.Context) {
	s.mu.Lock()
	subs := append([]*subscription(nil), s.subs...)
	s.mu.Unlock()
	for _, sub := range subs {
		ack := make(chan struct{})
		select {
		case sub.flush <- ack:
		case <-ctx.Done():
			return
		}
		select {
		case <-ack:
		case <-ctx.Done():
			return
		}
	}
}

// telemetryClient posts to a subscriber's listener. sandbox.localdomain is
// the environment's own address; dial reaches it from inside the
// environment.
func telemetryClient(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Client {
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if host, port, err := net.SplitHostPort(addr); err == nil && host == "sandbox.localdomain" {
				addr = net.JoinHostPort("127.0.0.1", port)
			}
			return dial(ctx, network, addr)
		},
		MaxIdleConns: 1, DisableCompression: true,
	}
	return &http.Client{Transport: tr}
}

// validListener reports whether uri is an HTTP listener Hearth delivers to.
func validListener(uri string) bool {
	u, err := url.Parse(uri)
	return err == nil && u.Scheme == "http" && u.Host != ""
}

// telemetryState is the Server's Telemetry API state, embedded in Server.
type telemetryState struct {
	// subs and backlog are guarded by Server.mu.
	subs    []*subscription
	backlog []telemetryEvent

	telemetryWG sync.WaitGroup     // the subscriptions' delivery goroutines
	doneCtx     context.Context    // ends with done
	stopDone    context.CancelFunc // ends doneCtx
	dial        func(ctx context.Context, network, addr string) (net.Conn, error)
	initType    string    // AWS_LAMBDA_INITIALIZATION_TYPE, for Init's events
	started     time.Time // the Server's start: Init's
}

// initDoneLocked tells subscribers that Init succeeded. Called with mu
// held, before initDone is set.
func (s *Server) initDoneLocked() {
	phase := map[string]any{"initializationType": s.initType, "phase": "init", "status": "success"}
	s.emitLocked("platform", TelemetryInitRuntimeDone, phase)
	phase["metrics"] = map[string]float64{"durationMs": millis(time.Since(s.started))}
	s.emitLocked("platform", TelemetryInitReport, phase)
}

// startLocked tells subscribers of an invocation's start. Called with mu
// held.
func (s *Server) startLocked(c *call) {
	if !s.telemetryWantedLocked() {
		return
	}
	s.emitLocked("platform", TelemetryStart, map[string]string{"requestId": c.id, "version": s.info.FunctionVersion})
}

// runtimeDoneLocked tells subscribers that the runtime posted the outcome
// of c. Called with mu held.
func (s *Server) runtimeDoneLocked(c *call, res Result) {
	if !s.telemetryWantedLocked() {
		return
	}
	status := "success"
	if res.ErrorType != "" {
		status = "error"
	}
	s.emitLocked("platform", TelemetryRuntimeDone, map[string]any{"requestId": c.id, "status": status,
		"metrics": map[string]any{"durationMs": millis(time.Since(c.begun)), "producedBytes": len(res.Payload)}})
}

// millis is d in milliseconds, to the microsecond.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
