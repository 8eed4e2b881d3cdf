package pool

import (
	"context"
	"fmt"
	"time"

	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/logs"
	"github.com/hearth-run/hearth/internal/runtimeapi"
)

// start runs a new environment's Init. On failure the environment is
// stopped and the error says why; the result of an init failure that the
// runtime reported is an *InitError.
func (p *Pool) start(ctx context.Context, env *Environment, spec *Spec, initType string) error {
	stream, err := p.opts.Logs.Create(env.Function, env.StreamName)
	if err != nil {
		p.discard(env, ReasonFailure)
		return fmt.Errorf("log stream for %s: %w", env.ID, err)
	}
	sb := spec.Sandbox
	sb.ID = env.ID
	sb.Output = stream
	sb.Env = append(append(make([]string, 0, len(sb.Env)+2), sb.Env...),
		"AWS_LAMBDA_LOG_STREAM_NAME="+env.StreamName, "AWS_LAMBDA_INITIALIZATION_TYPE="+initType)
	if spec.Starting != nil {
		sb.Env = append(sb.Env, spec.Starting(stream)...)
	}
	begin := time.Now()
	proc, err := p.starter.Start(sb)
	if err != nil {
		_ = stream.Close()
		p.discard(env, ReasonFailure)
		return &InitError{Type: errdefs.RuntimeInvalidEntrypoint, Message: err.Error()}
	}
	if !p.attach(env, proc, stream) {
		p.discard(env, ReasonFailure)
		return fmt.Errorf("%w: environment %s stopped while starting", ErrClosed, env.ID)
	}
	env.setup = time.Since(begin)
	ierr := p.awaitInit(ctx, env, proc)
	env.initDuration = time.Since(begin)
	env.publishInit(initType, ierr)
	if ierr != nil {
		p.discard(env, ReasonFailure)
		return ierr
	}
	return nil
}

// attach gives a Starting environment its process, Runtime API and log
// stream. An environment stopped meanwhile (the pool closed, its version
// was retired) gets none of them: attach stops the process itself and
// returns false, so that no process outlives its environment.
func (p *Pool) attach(env *Environment, proc Process, stream *logs.Stream) bool {
	env.mu.Lock()
	if env.state != Starting {
		env.mu.Unlock()
		proc.Stop(0)
		_ = stream.Close()
		return false
	}
	ln, _ := proc.RuntimeAPI()
	env.proc, env.stream = proc, stream
	env.rapi = runtimeapi.New(runtimeapi.Options{Listener: ln, Logger: p.log})
	env.ctx, env.cancel = context.WithCancel(context.Background())
	env.mu.Unlock()
	p.spawn(func() { p.watch(env) })
	return true
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
		return &InitError{Type: errdefs.SandboxTimedout, Message: fmt.Sprintf("Init timed out after %.2f seconds", p.opts.InitTimeout.Seconds())}
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

// watch cancels the environment's context when its process exits, and
// removes an environment whose process died while idle.
func (p *Pool) watch(env *Environment) {
	select {
	case <-env.proc.Done():
	case <-p.stopCh:
		return
	}
	env.cancel()
	// Checked and removed under p.mu, so that no Acquire takes the dead
	// environment in between.
	p.mu.Lock()
	defer p.mu.Unlock()
	if env.State() == Idle {
		p.discardLocked(env, ReasonFailure)
	}
}
