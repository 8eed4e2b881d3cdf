package pool

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hearth-run/hearth/internal/logs"
	"github.com/hearth-run/hearth/internal/runtimeapi"
	"github.com/hearth-run/hearth/internal/sandbox"
)

// Init phases, as INIT_REPORT names them.
const (
	phaseInit   = "init"
	phaseInvoke = "invoke"
)

// initTypeOnDemand is AWS_LAMBDA_INITIALIZATION_TYPE of an environment
// started for a request.
const initTypeOnDemand = "on-demand"

// start runs a new environment's Init. On failure its process is stopped
// and the error says why — an *InitError for a failed Init; the caller
// then discards the environment (Release, unhealthy, for a request's), so
// that its stream, still open, can take the request's lines first. As on Lambda, a failed Init leaves its trail in the log
// stream (the runtime's output, then INIT_REPORT … Status: error), and an
// on-demand environment's failed Init is tried once more within the
// invocation (the suppressed init, Phase: invoke) before the request fails.
func (p *Pool) start(ctx context.Context, env *Environment, spec *Spec, initType string) error {
	stream, err := p.opts.Logs.Create(env.Function, env.StreamName)
	if err != nil {
		return fmt.Errorf("log stream for %s: %w", env.ID, err)
	}
	env.stream = stream
	stream.BeginInit()
	err = p.initOnce(ctx, env, spec, initType, phaseInit)
	var ie *InitError
	if err != nil && errors.As(err, &ie) && initType == initTypeOnDemand && ie.Type != typeInitTimeout && ctx.Err() == nil {
		p.stopAttempt(env)
		err = p.initOnce(ctx, env, spec, initType, phaseInvoke)
	}
	if err != nil {
		p.stopAttempt(env)
		return err
	}
	return nil
}

// typeInitTimeout is the error type of an Init that ran out of time; it is
// not retried, which would double the wait.
const typeInitTimeout = "Sandbox.Timedout"

// initOnce starts the environment's process and waits for the end of its
// Init. A failure is written to the stream and to Hearth's log.
func (p *Pool) initOnce(ctx context.Context, env *Environment, spec *Spec, initType, phase string) error {
	begin := time.Now()
	ierr := p.launch(env, spec, initType)
	if ierr == nil {
		ierr = p.awaitInit(ctx, env)
	}
	env.initDuration = time.Since(begin)
	var ie *InitError
	if !errors.As(ierr, &ie) {
		return ierr
	}
	if env.proc != nil {
		env.proc.SyncOutput(10 * time.Millisecond)
	}
	if len(ie.Body) == 0 && ie.Message != "" && ie.Type != "Runtime.ExitError" {
		// An error Hearth found itself (no bootstrap, Init timeout): the
		// runtime printed nothing about it.
		fmt.Fprintln(env.stream, ie.Message)
	}
	status := "error"
	if ie.Type == typeInitTimeout {
		status = "timeout"
	}
	env.stream.InitFailed(logs.InitReport{Duration: env.initDuration, Phase: phase, Status: status, ErrorType: ie.Type})
	p.log.Warn("init failed", "function", env.Function, "version", env.Version, "error_type", ie.Type,
		"phase", phase, "env", env.ID)
	return ierr
}

// launch starts the process and its Runtime API server.
func (p *Pool) launch(env *Environment, spec *Spec, initType string) error {
	if spec.Missing != nil {
		return spec.Missing
	}
	sb := spec.Sandbox
	sb.ID = env.ID
	sb.Output = env.stream
	sb.Env = append(append(make([]string, 0, len(sb.Env)+2), sb.Env...),
		"AWS_LAMBDA_LOG_STREAM_NAME="+env.StreamName, "AWS_LAMBDA_INITIALIZATION_TYPE="+initType)
	begin := time.Now()
	proc, err := p.opts.Sandbox.Start(sb)
	if err != nil {
		return &InitError{Type: "Runtime.InvalidEntrypoint", Message: err.Error()}
	}
	env.setup = time.Since(begin)
	env.proc = proc
	ln, _ := proc.RuntimeAPI()
	env.rapi = runtimeapi.New(runtimeapi.Options{Listener: ln, Logger: p.log})
	ctx, cancel := context.WithCancel(context.Background())
	env.ctx, env.cancel = ctx, cancel
	p.wg.Add(1)
	go p.watch(env, proc, cancel)
	return nil
}

// awaitInit waits for the end of Init: the runtime's first /next, its
// /init/error, its exit, the init timeout or ctx.
func (p *Pool) awaitInit(ctx context.Context, env *Environment) error {
	timer := time.NewTimer(p.opts.InitTimeout)
	defer timer.Stop()
	select {
	case <-env.rapi.Ready():
		return nil
	case body := <-env.rapi.InitError():
		return initErrorFromBody(body)
	case <-env.proc.Done():
		return exitInitError(env.proc)
	case <-timer.C:
		return &InitError{Type: typeInitTimeout, Message: fmt.Sprintf("Init timed out after %.2f seconds", p.opts.InitTimeout.Seconds())}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stopAttempt ends a failed Init's process and Runtime API, keeping the
// environment and its stream for another attempt. The stopped process
// stays in env.proc until the next launch, for its peak memory.
func (p *Pool) stopAttempt(env *Environment) {
	if env.rapi != nil {
		_ = env.rapi.Close()
	}
	if env.proc != nil {
		env.proc.Stop(0)
	}
	if env.cancel != nil {
		env.cancel()
	}
}

// watch cancels the environment's context when its process exits, and
// removes an environment whose process died while idle.
func (p *Pool) watch(env *Environment, proc *sandbox.Process, cancel context.CancelFunc) {
	defer p.wg.Done()
	select {
	case <-proc.Done():
	case <-p.stopCh:
		return
	}
	cancel()
	env.mu.Lock()
	idle := env.state == Idle
	env.mu.Unlock()
	if idle {
		p.discard(env, ReasonFailure)
	}
}
