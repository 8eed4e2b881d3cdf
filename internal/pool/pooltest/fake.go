// Package pooltest provides a fake bootstrap process for testing the pool
// and its users without starting real processes: each fake process is a
// goroutine that speaks the Runtime API over a loopback listener, as a
// real runtime does, so the pool and the Runtime API server under test are
// the real ones.
package pooltest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hearth-run/hearth/internal/sandbox"
)

// Payloads that make a fake runtime misbehave during an invocation.
const (
	// Crash makes the runtime exit without answering.
	Crash = "crash"
	// Hang makes the runtime never answer.
	Hang = "hang"
	// Fail makes the runtime post a function error.
	Fail = "fail"
)

// Behaviour is how a fake runtime initialises.
type Behaviour int

// Init behaviours.
const (
	InitOK    Behaviour = iota // first /next at once
	InitError                  // posts /init/error, then exits
	InitExit                   // exits before its first /next
	InitHang                   // never calls /next
)

// Starter starts fake processes. Its methods are safe for concurrent use.
type Starter struct {
	// Behave chooses each new process's init behaviour; nil: InitOK.
	Behave func(spec sandbox.Spec) Behaviour

	mu    sync.Mutex // guards procs
	procs []*Process
	// Violations counts invocations delivered to a process that stayed
	// frozen: not thawed within resumeWait of reading the event.
	Violations atomic.Int64
	starts     atomic.Int64
	// StopGate, when set, holds every Stop until it is closed.
	StopGate chan struct{}
	// stopping counts Stops in progress; maxStopping is its peak.
	stopping, maxStopping atomic.Int64
}

// MaxConcurrentStops is the most Stops that ran at once.
func (s *Starter) MaxConcurrentStops() int { return int(s.maxStopping.Load()) }

// Stopping counts Stops in progress.
func (s *Starter) Stopping() int { return int(s.stopping.Load()) }

// Start starts a fake process for spec.
func (s *Starter) Start(spec sandbox.Spec) (*Process, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Process{ID: spec.ID, Spec: spec, ln: ln, done: make(chan struct{}), ctx: ctx, cancel: cancel,
		starter: s, pid: int(s.starts.Add(1))}
	b := InitOK
	if s.Behave != nil {
		b = s.Behave(spec)
	}
	s.mu.Lock()
	s.procs = append(s.procs, p)
	s.mu.Unlock()
	go p.run(b)
	return p, nil
}

// Starts counts the processes started.
func (s *Starter) Starts() int { return int(s.starts.Load()) }

// Running lists the processes that have not exited.
func (s *Starter) Running() []*Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Process
	for _, p := range s.procs {
		select {
		case <-p.done:
		default:
			out = append(out, p)
		}
	}
	return out
}

// Process is one fake bootstrap.
type Process struct {
	ID      string
	Spec    sandbox.Spec
	starter *Starter
	pid     int
	ln      net.Listener
	ctx     context.Context // cancelled when the process exits
	cancel  context.CancelFunc

	mu      sync.Mutex // guards exitErr, frozen, freezes, stopped
	exitErr error
	frozen  bool
	freezes int
	stopped bool
	once    sync.Once
	done    chan struct{}
}

// Pid returns a small unique number.
func (p *Process) Pid() int { return p.pid }

// RuntimeAPI returns the loopback listener the runtime calls.
func (p *Process) RuntimeAPI() (net.Listener, string) { return p.ln, p.ln.Addr().String() }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// ExitError is how the process exited.
func (p *Process) ExitError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitErr
}

// OOMKilled is always false.
func (p *Process) OOMKilled() bool { return false }

// MaxMemoryBytes is a fixed small figure.
func (p *Process) MaxMemoryBytes() uint64 { return 1 << 20 }

// Freeze marks the process frozen.
func (p *Process) Freeze() error { p.setFrozen(true); return nil }

// Thaw marks the process running.
func (p *Process) Thaw() error { p.setFrozen(false); return nil }

func (p *Process) setFrozen(v bool) {
	p.mu.Lock()
	p.frozen = v
	if v {
		p.freezes++
	}
	p.mu.Unlock()
}

// Freezes counts the process's freezes so far.
func (p *Process) Freezes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.freezes
}

// resumeWait is how long a fake process that finds an event while marked
// frozen waits to be thawed: a real one cannot read while frozen, so an
// event written just before the thaw (pool.AcquireFrozen) is read after it.
const resumeWait = 2 * time.Second

// resumed waits until the process is not frozen, at most resumeWait, and
// reports whether it is running.
func (p *Process) resumed() bool {
	for deadline := time.Now().Add(resumeWait); p.Frozen(); {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// Frozen reports whether the process is frozen.
func (p *Process) Frozen() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.frozen
}

// Stop ends the process, as SIGTERM would.
func (p *Process) Stop(time.Duration) {
	s := p.starter
	n := s.stopping.Add(1)
	for {
		m := s.maxStopping.Load()
		if n <= m || s.maxStopping.CompareAndSwap(m, n) {
			break
		}
	}
	if s.StopGate != nil {
		<-s.StopGate
	}
	defer s.stopping.Add(-1)
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	p.Exit(errors.New("signal: terminated"))
	_ = p.ln.Close()
}

// Stopped reports whether Stop was called.
func (p *Process) Stopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}

// Exit makes the process exit with err, as a crash or a kill would.
func (p *Process) Exit(err error) {
	p.once.Do(func() {
		p.mu.Lock()
		p.exitErr = err
		p.mu.Unlock()
		p.cancel()
		close(p.done)
	})
}

// SyncOutput does nothing: the fake writes no output.
func (p *Process) SyncOutput(time.Duration) {}

// run is the fake runtime: init as told, then answer each invocation by
// echoing its payload, unless the payload asks for a misbehaviour.
func (p *Process) run(b Behaviour) {
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	base := "http://" + p.ln.Addr().String() + "/2018-06-01/runtime/"
	switch b {
	case InitError:
		_, _ = p.post(client, base+"init/error", `{"errorType":"Fake.InitError","errorMessage":"init failed"}`)
		p.Exit(errors.New("exit status 1"))
		return
	case InitExit:
		p.Exit(errors.New("exit status 2"))
		return
	case InitHang:
		<-p.ctx.Done()
		return
	}
	for p.serveOne(client, base) {
	}
}

// serveOne takes one invocation and answers it; false ends the runtime.
func (p *Process) serveOne(client *http.Client, base string) bool {
	req, _ := http.NewRequestWithContext(p.ctx, http.MethodGet, base+"invocation/next", nil)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	if id == "" {
		return false // the server closed the long poll: shutting down
	}
	if !p.resumed() {
		p.starter.Violations.Add(1)
	}
	switch string(body) {
	case Crash:
		p.Exit(errors.New("exit status 3"))
		return false
	case Hang:
		<-p.ctx.Done()
		return false
	case Fail:
		_, err = p.post(client, base+"invocation/"+id+"/error", `{"errorType":"Fake.Error","errorMessage":"failed"}`)
	default:
		_, err = p.post(client, base+"invocation/"+id+"/response", string(body))
	}
	return err == nil
}

func (p *Process) post(client *http.Client, url, body string) (int, error) {
	req, _ := http.NewRequestWithContext(p.ctx, http.MethodPost, url, bytes.NewReader([]byte(body)))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("runtime api: %s %s", resp.Status, strings.TrimPrefix(url, "http://"))
	}
	return resp.StatusCode, nil
}
