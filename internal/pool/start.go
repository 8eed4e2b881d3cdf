package pool

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/logs"
	"github.com/hearth-run/hearth/internal/runtimeapi"
)

// Init phases, as INIT_REPORT names them.
const (
	phaseInit   = "init"
	phaseInvoke = "invoke"
)

// initTypeOnDemand is AWS_LAMBDA_INITIALIZATION_TYPE of an environment
// started for a request.
const initTypeOnDemand = "on-demand"

// typeInitTimeout is the error type of an Init that ran out of time; it is
// not retried, which would double the wait.
const typeInitTimeout = errdefs.SandboxTimedout

// start runs a new environment's Init. On failure its process is stopped,
// the error says why — an *InitError for a failed Init — and the caller
// discards the environment.
//
// As on Lambda, a failed Init leaves its trail in the log stream (the
// runtime's output, then INIT_REPORT … Status: error), and an on-demand
// environment's failed Init is tried once more within the invocation (the
// suppressed init, Phase: invoke) before the request fails.
func (p *Pool) start(ctx context.Context, env *Environment, spec *Spec, initType string) error {
	stream, err := p.opts.Logs.Create(env.Function, env.StreamName)
	if err != nil {
		return fmt.Errorf("log stream for %s: %w", env.ID, err)
	}
	env.mu.Lock()
	if env.state != Starting {
		env.mu.Unlock()
		_ = stream.Close()
		return fmt.Errorf("%w: environment %s stopped while starting", ErrClosed, env.ID)
	}
	env.stream = stream
	env.mu.Unlock()
	stream.SetFormat(spec.LogFormat)
	stream.BeginInit()
	err = p.initOnce(ctx, env, spec, initType, phaseInit)
	var ie *InitError
	if errors.As(err, &ie) && initType == initTypeOnDemand && ie.Type != typeInitTimeout && ctx.Err() == nil {
		p.stopAttempt(env)
		err = p.initOnce(ctx, env, spec, initType, phaseInvoke)
	}
	env.publishInit(initType, err)
	if err != nil {
		p.stopAttempt(env)
	}
	return err
}

// initOnce starts the environment's process and waits for the end of its
// Init. A failed Init is written to the stream and to Hearth's log.
func (p *Pool) initOnce(ctx context.Context, env *Environment, spec *Spec, initType, phase string) error {
	begin := time.Now()
	ierr := p.launch(ctx, env, spec, initType)
	env.initDuration = time.Since(begin)
	var ie *InitError
	if !errors.As(ierr, &ie) {
		return ierr
	}
	env.mu.Lock()
	proc, stream := env.proc, env.stream
	env.mu.Unlock()
	if proc != nil {
		proc.SyncOutput(10 * time.Millisecond)
	}
	if len(ie.Body) == 0 && ie.Message != "" && ie.Type != errdefs.RuntimeExitError {
		// An error Hearth found itself (no bootstrap, Init timeout): the
		// runtime printed nothing about it.
		fmt.Fprintln(stream, ie.Message)
	}
	status := "error"
	if ie.Type == typeInitTimeout {
		status = "timeout"
	}
	stream.InitFailed(logs.InitReport{Duration: env.initDuration, Phase: phase, Status: status, ErrorType: ie.Type,
		InitializationType: initType})
	p.log.Warn("init failed", "function", env.Function, "version", env.Version, "error_type", ie.Type,
		"phase", phase, "env", env.ID)
	return ierr
}

// launch starts the bootstrap and waits for its Init to end.
func (p *Pool) launch(ctx context.Context, env *Environment, spec *Spec, initType string) error {
	if spec.Missing != nil {
		return spec.Missing
	}
	sb := spec.Sandbox
	sb.ID = env.ID
	out := &outputTee{stream: env.stream}
	sb.Output = out
	sb.Env = append(append(make([]string, 0, len(sb.Env)+2), sb.Env...),
		"AWS_LAMBDA_LOG_STREAM_NAME="+env.StreamName, "AWS_LAMBDA_INITIALIZATION_TYPE="+initType)
	if spec.Starting != nil {
		sb.Env = append(sb.Env, spec.Starting(env.stream)...)
	}
	begin := time.Now()
	proc, err := p.starter.Start(sb)
	if errors.Is(err, syscall.ENOSPC) {
		// The host's disk is full: Hearth's failure, not the function's.
		return fmt.Errorf("start environment %s: %w", env.ID, err)
	}
	if err != nil {
		return &InitError{Type: errdefs.RuntimeInvalidEntrypoint, Message: err.Error()}
	}
	if !p.attach(env, spec, proc, initType) {
		return fmt.Errorf("%w: environment %s stopped while starting", ErrClosed, env.ID)
	}
	env.setup = time.Since(begin)
	if pp, ok := proc.(interface{ Prestarted() bool }); ok {
		env.prestarted = pp.Prestarted()
	}
	out.rapi.Store(env.rapi)
	return p.awaitInit(ctx, env, proc)
}

// attach gives a Starting environment its process and Runtime API. An
// environment stopped meanwhile (the pool closed, its version was retired)
// gets neither: attach stops the process itself and returns false, so that
// no process outlives its environment.
func (p *Pool) attach(env *Environment, spec *Spec, proc Process, initType string) bool {
	env.mu.Lock()
	if env.state != Starting {
		env.mu.Unlock()
		proc.Stop(0)
		return false
	}
	ln, _ := proc.RuntimeAPI()
	ctx, cancel := context.WithCancel(context.Background())
	env.proc = proc
	var dial func(ctx context.Context, network, addr string) (net.Conn, error)
	if d, ok := proc.(interface {
		DialContext(ctx context.Context, network, addr string) (net.Conn, error)
	}); ok {
		dial = d.DialContext
	}
	rapi := runtimeapi.New(runtimeapi.Options{Listener: ln, Logger: p.log, InitType: initType, Dial: dial,
		ExternalExtensions: spec.ExternalExtensions,
		Info:               runtimeapi.ExtensionInfo{FunctionName: env.Function, FunctionVersion: env.Version, Handler: spec.Handler}})
	env.rapi, env.ctx, env.cancel = rapi, ctx, cancel
	env.mu.Unlock()
	p.spawn(func() { p.watch(env, proc, rapi, cancel) })
	return true
}

// stopAttempt ends a failed Init's process and Runtime API, keeping the
// environment and its stream for another attempt or for the request's
// lines. The stopped process stays in env.proc, for its peak memory.
func (p *Pool) stopAttempt(env *Environment) {
	env.mu.Lock()
	proc, rapi, cancel := env.proc, env.rapi, env.cancel
	env.mu.Unlock()
	if proc != nil {
		proc.Stop(0)
	}
	if rapi != nil {
		_ = rapi.Close()
	}
	if cancel != nil {
		cancel()
	}
}

// awaitInit waits for the runtime's first /next (Init done), its
// /init/error, its exit, the init timeout or ctx.
func (p *Pool) awaitInit(ctx context.Context, env *Environment, proc Process) error {
	timer := time.NewTimer(p.opts.InitTimeout)
	defer timer.Stop()
	select {
	case <-env.rapi.Ready():
		return nil
	case body := <-env.rapi.InitError():
		return initErrorFromBody(body)
	case <-proc.Done():
		return exitInitError(proc)
	case <-timer.C:
		return &InitError{Type: typeInitTimeout, Message: fmt.Sprintf("Init timed out after %.2f seconds", p.opts.InitTimeout.Seconds())}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// spawn runs f in a goroutine the pool waits for on Close. After Close it
// runs nothing and returns false.
func (p *Pool) spawn(f func()) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.spawnLocked(f)
}

// spawnLocked is spawn with p.mu held.
func (p *Pool) spawnLocked(f func()) bool {
	if p.closed {
		return false
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f()
	}()
	return true
}

// watch cancels the environment's context, and tells its Runtime API, when
// its process exits, and removes an environment whose process died while
// idle. proc and cancel
// are those of one Init attempt: a retried Init attaches new ones.
func (p *Pool) watch(env *Environment, proc Process, rapi *runtimeapi.Server, cancel context.CancelFunc) {
	select {
	case <-proc.Done():
	case <-p.stopCh:
		return
	}
	cancel()
	rapi.Exited()
	// Checked and removed under p.mu, so that no Acquire takes the dead
	// environment in between.
	p.mu.Lock()
	defer p.mu.Unlock()
	if env.State() == Idle {
		p.discardLocked(env, ReasonFailure)
	}
}

// detachStream takes the log stream away from the environment, so that
// stopping it does not close the stream; the caller closes it.
func (env *Environment) detachStream() *logs.Stream {
	env.mu.Lock()
	defer env.mu.Unlock()
	st := env.stream
	env.stream = nil
	return st
}

// outputTee passes an environment's output to its log stream and, once
// the Runtime API serves, to its Telemetry API subscribers.
type outputTee struct {
	stream *logs.Stream
	rapi   atomic.Pointer[runtimeapi.Server]
}

func (t *outputTee) Write(p []byte) (int, error) {
	n, err := t.stream.Write(p)
	if r := t.rapi.Load(); r != nil {
		_, _ = r.Write(p)
	}
	return n, err
}
