package pool

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hearth-run/hearth/internal/activity"
	"github.com/hearth-run/hearth/internal/logs"
	"github.com/hearth-run/hearth/internal/runtimeapi"
	"github.com/hearth-run/hearth/internal/sandbox"
)

// Options configures a Pool. Sandbox and Logs are required.
type Options struct {
	Sandbox *sandbox.Manager
	Logs    *logs.Store
	// IdleTimeout is how long an idle environment is kept before it is
	// shut down. Default 10 minutes.
	IdleTimeout time.Duration
	// InitTimeout limits Init, as Lambda's 10 seconds. Default 10 s.
	InitTimeout time.Duration
	// StopGrace is the time between SIGTERM and SIGKILL. Default 2 s.
	StopGrace time.Duration
	// FreezeDelay is how long a released environment runs on before it is
	// frozen. Zero freezes at once (in the background, off the response path).
	FreezeDelay time.Duration
	// AccountLimit caps concurrent executions of all functions. Default 1000.
	AccountLimit int
	// Events, when set, hears of every environment's Init, freezing and
	// end.
	Events *activity.Bus
	Logger *slog.Logger
}

// Spec says how to start environments of one function version.
type Spec struct {
	Function string
	Version  string
	Revision string // configuration revision; a new one retires older environments
	Runtime  string // the runtime's identifier, for events
	// Reserved is the function's reserved concurrency, nil when unreserved.
	Reserved *int
	// Sandbox is the process to start. The pool sets ID and Output and adds
	// AWS_LAMBDA_LOG_STREAM_NAME and AWS_LAMBDA_INITIALIZATION_TYPE to Env.
	Sandbox sandbox.Spec
}

// Key is the pool key of a function version.
func Key(function, version string) string { return function + ":" + version }

// Pool holds all execution environments of a Hearth server.
type Pool struct {
	opts Options
	log  *slog.Logger

	mu sync.Mutex // guards everything below
	// versions holds the environments of each function version by Key.
	versions map[string]*versionPool
	// active counts Starting and Busy environments per function.
	active map[string]int
	// unreservedActive counts active environments of unreserved functions.
	unreservedActive int
	// reserved holds the reservation of each function that has one.
	reserved map[string]int
	// targets holds the provisioning targets by targetKey.
	targets map[string]*target
	// provisioned counts live provisioned environments per function.
	provisioned map[string]int
	closed      bool
	// ctx ends on Close; provisioned environments start under it.
	ctx    context.Context
	cancel context.CancelFunc

	wg     sync.WaitGroup // the reaper and environment watchers
	stopCh chan struct{}
}

// versionPool is the environments of one function version.
type versionPool struct {
	idle []*Environment // most recently used last
	all  map[string]*Environment
	// lastLoss records why this version last lost its environments, to
	// explain the next cold start.
	lastLoss string
	// revision is the newest configuration revision seen; environments of
	// any other revision retire when they become idle.
	revision string
}

// Cold start reasons.
const (
	ReasonFirst    = "first-invocation"
	ReasonScaleOut = "scale-out"
	ReasonUpdate   = "code-or-config-update"
	ReasonEviction = "idle-eviction"
	ReasonFailure  = "previous-environment-failed"
)

// New returns a running Pool; Close stops it.
func New(opts Options) *Pool {
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 10 * time.Minute
	}
	if opts.InitTimeout <= 0 {
		opts.InitTimeout = 10 * time.Second
	}
	if opts.StopGrace <= 0 {
		opts.StopGrace = 2 * time.Second
	}
	if opts.AccountLimit <= 0 {
		opts.AccountLimit = 1000
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	p := &Pool{
		opts: opts, log: opts.Logger,
		versions: map[string]*versionPool{}, active: map[string]int{}, reserved: map[string]int{},
		targets: map[string]*target{}, provisioned: map[string]int{},
		stopCh: make(chan struct{}),
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.wg.Add(1)
	go p.reap()
	return p
}

// Acquisition is an environment handed to one request.
type Acquisition struct {
	Env    *Environment
	Cold   bool   // the environment was started for this request
	Reason string // why, when Cold
	// Provisioned says the environment is a provisioned one.
	Provisioned bool
	// Spillover says the version has provisioned environments but none was
	// free, so the request went to an on-demand one.
	Spillover bool
}

// Acquire returns an environment for one request: the most recently used
// idle one of the spec's revision, else a new one. It fails with a
// *ThrottleError when concurrency limits leave no room.
func (p *Pool) Acquire(ctx context.Context, spec *Spec) (Acquisition, error) {
	key := Key(spec.Function, spec.Version)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return Acquisition{}, ErrClosed
	}
	vp := p.version(key)
	vp.revision = spec.Revision
	stale := p.retireStaleLocked(vp, spec.Revision)
	if env := vp.popIdle(true); env != nil {
		if err := p.takeLocked(env); err == nil {
			p.mu.Unlock()
			p.stopAll(stale)
			return p.thawed(ctx, spec, Acquisition{Env: env, Provisioned: true})
		}
	}
	spill := p.hasTargetLocked(key)
	if err := p.admitLocked(spec); err != nil {
		p.mu.Unlock()
		p.stopAll(stale)
		return Acquisition{}, err
	}
	if env := vp.popIdle(false); env != nil {
		if err := p.takeLocked(env); err == nil {
			p.mu.Unlock()
			p.stopAll(stale)
			return p.thawed(ctx, spec, Acquisition{Env: env, Spillover: spill})
		}
	}
	reason := ReasonFirst
	switch {
	case len(vp.all) > 0:
		reason = ReasonScaleOut
	case vp.lastLoss != "":
		reason = vp.lastLoss
	}
	env := p.newEnvLocked(spec, key, vp, false)
	env.coldReason = reason
	p.mu.Unlock()
	p.stopAll(stale)

	acq := Acquisition{Env: env, Cold: true, Reason: reason, Spillover: spill}
	if err := p.start(ctx, env, spec, "on-demand"); err != nil {
		return acq, err
	}
	p.log.Info("cold start", "function", spec.Function, "version", spec.Version, "env", env.ID,
		"reason", reason, "init_ms", ms(env.initDuration), "sandbox_ms", ms(env.setup))
	return acq, nil
}

// takeLocked moves an idle environment to Busy; the caller thaws it
// (thawed) after releasing p.mu.
func (p *Pool) takeLocked(env *Environment) error {
	env.mu.Lock()
	defer env.mu.Unlock()
	if err := env.setState(Busy); err != nil {
		return err
	}
	if env.freezeTimer != nil {
		env.freezeTimer.Stop()
	}
	if !env.Provisioned {
		p.countActiveLocked(env)
	}
	return nil
}

// thawed thaws a taken environment. One that cannot be thawed is
// destroyed and the request acquires another.
func (p *Pool) thawed(ctx context.Context, spec *Spec, acq Acquisition) (Acquisition, error) {
	if err := acq.Env.thaw(); err != nil {
		p.log.Warn("environment could not be thawed; replacing it", "env", acq.Env.ID, "err", err)
		p.Release(acq.Env, false)
		return p.Acquire(ctx, spec)
	}
	return acq, nil
}

// admitLocked applies reserved and account concurrency to one more
// on-demand environment. Provisioned environments count against the
// function's reservation, and those of unreserved functions against the
// account's unreserved concurrency, as on Lambda.
func (p *Pool) admitLocked(spec *Spec) error {
	if spec.Reserved != nil {
		p.reserved[spec.Function] = *spec.Reserved
		if p.active[spec.Function]+p.provisioned[spec.Function] >= *spec.Reserved {
			return &ThrottleError{Reason: ReasonReservedLimit}
		}
		return nil
	}
	delete(p.reserved, spec.Function)
	taken := 0
	for _, n := range p.reserved {
		taken += n
	}
	for fn, n := range p.provisioned {
		if _, ok := p.reserved[fn]; !ok {
			taken += n
		}
	}
	if p.unreservedActive >= p.opts.AccountLimit-taken {
		return &ThrottleError{Reason: ReasonAccountLimit}
	}
	return nil
}

// Throttle reasons, as Lambda words them.
const (
	ReasonReservedLimit = "ReservedFunctionConcurrentInvocationLimitExceeded"
	ReasonAccountLimit  = "ConcurrentInvocationLimitExceeded"
)

// SetReserved records a function's reserved concurrency (nil: none), so
// that account-wide admission sees a change before the function's next
// request.
func (p *Pool) SetReserved(function string, reserved *int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if reserved == nil {
		delete(p.reserved, function)
		return
	}
	p.reserved[function] = *reserved
}

// countActiveLocked counts an on-demand environment as active.
func (p *Pool) countActiveLocked(env *Environment) {
	p.active[env.Function]++
	_, reserved := p.reserved[env.Function]
	env.countedUnreserved = !reserved
	if !reserved {
		p.unreservedActive++
	}
}

// uncountActiveLocked undoes countActiveLocked.
func (p *Pool) uncountActiveLocked(env *Environment) {
	p.active[env.Function]--
	if env.countedUnreserved {
		p.unreservedActive--
		env.countedUnreserved = false
	}
}

func (p *Pool) newEnvLocked(spec *Spec, key string, vp *versionPool, provisioned bool) *Environment {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	now := time.Now()
	env := &Environment{
		ID: id, Key: key, Function: spec.Function, Version: spec.Version, Revision: spec.Revision,
		StreamName:  now.UTC().Format("2006/01/02") + "/[" + spec.Version + "]" + id,
		Provisioned: provisioned, created: now, state: Starting, lastUsed: now,
		runtime: spec.Runtime, events: p.opts.Events,
	}
	vp.all[id] = env
	if !provisioned {
		p.countActiveLocked(env)
	}
	return env
}

// start runs a new environment's Init. On failure the environment is
// stopped and the error says why; the result of an init failure that the
// runtime reported is an *InitError.
func (p *Pool) start(ctx context.Context, env *Environment, spec *Spec, initType string) error {
	stream, err := p.opts.Logs.Create(env.Function, env.StreamName)
	if err != nil {
		p.discard(env, ReasonFailure)
		return fmt.Errorf("log stream for %s: %w", env.ID, err)
	}
	env.stream = stream
	sb := spec.Sandbox
	sb.ID = env.ID
	sb.Output = stream
	sb.Env = append(append(make([]string, 0, len(sb.Env)+2), sb.Env...),
		"AWS_LAMBDA_LOG_STREAM_NAME="+env.StreamName, "AWS_LAMBDA_INITIALIZATION_TYPE="+initType)
	begin := time.Now()
	proc, err := p.opts.Sandbox.Start(sb)
	if err != nil {
		p.discard(env, ReasonFailure)
		return &InitError{Type: "Runtime.InvalidEntrypoint", Message: err.Error()}
	}
	env.setup = time.Since(begin)
	env.proc = proc
	ln, _ := proc.RuntimeAPI()
	env.rapi = runtimeapi.New(runtimeapi.Options{Listener: ln, Logger: p.log})
	env.ctx, env.cancel = context.WithCancel(context.Background())
	p.wg.Add(1)
	go p.watch(env)

	timer := time.NewTimer(p.opts.InitTimeout)
	defer timer.Stop()
	var ierr error
	select {
	case <-env.rapi.Ready():
	case body := <-env.rapi.InitError():
		ierr = initErrorFromBody(body)
	case <-proc.Done():
		ierr = exitInitError(proc)
	case <-timer.C:
		ierr = &InitError{Type: "Sandbox.Timedout", Message: fmt.Sprintf("Init timed out after %.2f seconds", p.opts.InitTimeout.Seconds())}
	case <-ctx.Done():
		ierr = ctx.Err()
	}
	env.initDuration = time.Since(begin)
	env.publishInit(initType, ierr)
	if ierr != nil {
		p.discard(env, ReasonFailure)
		return ierr
	}
	return nil
}

// watch cancels the environment's context when its process exits, and
// removes an environment whose process died while idle.
func (p *Pool) watch(env *Environment) {
	defer p.wg.Done()
	select {
	case <-env.proc.Done():
	case <-p.stopCh:
		return
	}
	env.cancel()
	env.mu.Lock()
	idle := env.state == Idle
	env.mu.Unlock()
	if idle {
		p.discard(env, ReasonFailure)
	}
}

func splitKey(key string) (function, version string) {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == ':' {
			return key[:i], key[i+1:]
		}
	}
	return key, ""
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// ErrClosed is returned by Acquire after Close.
var ErrClosed = errors.New("pool closed")
