package pool

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/hearth-run/hearth/internal/activity"
	"github.com/hearth-run/hearth/internal/logs"
	"github.com/hearth-run/hearth/internal/sandbox"
)

// Options configures a Pool. Logs and one of Sandbox or Starter are
// required.
type Options struct {
	Sandbox *sandbox.Manager
	// Starter starts bootstraps; nil uses Sandbox. Tests set a fake.
	Starter Starter
	Logs    *logs.Store
	// IdleTimeout is how long an idle environment is kept before it is
	// shut down. Default 10 minutes.
	IdleTimeout time.Duration
	// InitTimeout limits Init, as Lambda's 10 seconds. Default 10 s.
	InitTimeout time.Duration
	// StopGrace is the Shutdown phase of an environment with external
	// extensions: SHUTDOWN events, SIGTERM, SIGKILL at its end. Default
	// 2 s, Lambda's. With internal extensions only it is 500 ms; without
	// extensions the process gets SIGKILL alone (see shutdown.go).
	StopGrace time.Duration
	// FreezeDelay is how long a released environment runs on before it is
	// frozen. Zero freezes at once (in the background, off the response path).
	FreezeDelay time.Duration
	// AccountLimit caps concurrent executions of all functions. Default 1000.
	AccountLimit int
	// MaxParallelStops bounds how many retired environments are stopped
	// at once in the background. Default 4.
	MaxParallelStops int
	// Now is the pool's clock, for keep-alive. Default time.Now.
	Now func() time.Time
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
	// Starting, when set, is called at each start of an environment with
	// its log stream, before the process starts; it may write lines into
	// the log and returns variables added to Env (e.g. fresh credentials).
	Starting func(log io.Writer) []string
	// Handler is told to extensions at registration.
	Handler string
	// ExternalExtensions names the executables started from
	// /opt/extensions before the runtime; Init waits for each to register.
	ExternalExtensions []string
	// Missing, when set, is why the spec cannot start (no bootstrap, say):
	// Init fails with it, leaving Lambda's trail in the log stream, without
	// starting a process.
	Missing *InitError
	// LogFormat is how the log stream writes its platform lines (text
	// unless LoggingConfig says JSON).
	LogFormat logs.Format
	// Key, when set, is Key(Function, Version): a caller that keeps its
	// Spec spares a concatenation on every acquisition.
	Key string
}

// key returns the spec's pool key.
func (s *Spec) key() string {
	if s.Key != "" {
		return s.Key
	}
	return Key(s.Function, s.Version)
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

	wg     sync.WaitGroup // the reaper, environment watchers and provisioned starts
	stopCh chan struct{}
	// stops counts background stops of retired environments. Once Close
	// has waited for wg, only environments Close already stopped can be
	// retired, which adds nothing; so Close can wait for it last.
	stops sync.WaitGroup
	// stopSlots bounds the background stops running at once.
	stopSlots chan struct{}
	starter   Starter
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
	// responding counts busy environments whose runtime has answered and
	// is about to end its invocation (Responded).
	responding int
	// wake is closed when one of them ends; nil while nobody waits.
	wake chan struct{}
	// waiting counts the requests waiting on wake (or woken) that have not
	// yet taken the pool's lock again; see handoff.go.
	waiting int
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
	if opts.MaxParallelStops <= 0 {
		opts.MaxParallelStops = 4
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	p := &Pool{
		opts: opts, log: opts.Logger,
		versions: map[string]*versionPool{}, active: map[string]int{}, reserved: map[string]int{},
		targets: map[string]*target{}, provisioned: map[string]int{},
		stopCh: make(chan struct{}), stopSlots: make(chan struct{}, opts.MaxParallelStops),
		starter: opts.Starter,
	}
	if p.starter == nil {
		p.starter = managerStarter{opts.Sandbox}
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
	// InitLog, after a failed Init, is the failed environment's log
	// stream with the Init's trail in it, left open for the request's
	// START, END and REPORT; the caller closes it. Nil otherwise.
	InitLog *logs.Stream
}

// Acquire returns an environment for one request: the most recently used
// idle one of the spec's revision, else one about to end its invocation
// (see RespondedWait), else a new one. It fails with an *errdefs.ThrottleError when
// concurrency limits leave no room. When a new environment fails Init, it
// is discarded, and the Acquisition's InitLog is its log stream, still
// open: the caller writes the request's lines and closes it.
func (p *Pool) Acquire(ctx context.Context, spec *Spec) (Acquisition, error) {
	return p.acquire(ctx, spec, false, true)
}

// acquire is Acquire; waited says it has already waited once for an
// environment that had answered its request; thaw says a frozen one is
// thawed before it is returned (else the caller thaws it: AcquireFrozen).
func (p *Pool) acquire(ctx context.Context, spec *Spec, waited, thaw bool) (Acquisition, error) {
	key := spec.key()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return Acquisition{}, ErrClosed
	}
	vp := p.version(key)
	if waited {
		if left := p.backFromWaitLocked(vp); len(left) > 0 {
			defer freezeLeft(left)
		}
	}
	vp.revision = spec.Revision
	p.retireLocked(p.retireStaleLocked(vp, spec.Revision))
	if !waited && len(vp.idle) == 0 && p.awaitRespondingLocked(ctx, vp) {
		return p.acquire(ctx, spec, true, thaw)
	}
	if env := vp.popIdle(true); env != nil {
		if err := p.takeLocked(env); err == nil {
			p.mu.Unlock()
			return p.thawed(ctx, spec, Acquisition{Env: env, Provisioned: true}, thaw)
		}
	}
	spill := p.hasTargetLocked(key)
	if err := p.admitLocked(spec); err != nil {
		p.mu.Unlock()
		return Acquisition{}, err
	}
	if env := vp.popIdle(false); env != nil {
		if err := p.takeLocked(env); err == nil {
			p.mu.Unlock()
			return p.thawed(ctx, spec, Acquisition{Env: env, Spillover: spill}, thaw)
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

	acq := Acquisition{Env: env, Cold: true, Reason: reason, Spillover: spill}
	// The request is accepted: its Init runs to its end even if the
	// caller goes away, as on Lambda.
	if err := p.start(context.WithoutCancel(ctx), env, spec, initTypeOnDemand); err != nil {
		acq.InitLog = env.detachStream()
		p.discard(env, ReasonFailure)
		return acq, err
	}
	env.mu.Lock()
	err := env.setState(Busy)
	env.mu.Unlock()
	if err != nil {
		// Stopped during Init: the pool closed or the environment died.
		p.discard(env, ReasonFailure)
		return acq, fmt.Errorf("%w: environment %s stopped during init", ErrClosed, env.ID)
	}
	p.log.Info("cold start", "function", spec.Function, "version", spec.Version, "env", env.ID,
		"reason", reason, "init_ms", ms(env.initDuration), "sandbox_ms", ms(env.setup), "prestarted", env.prestarted)
	return acq, nil
}

// takeLocked moves an idle environment to Busy; the caller thaws it
// (thawed) after releasing p.mu. One whose process has exited is
// discarded instead.
func (p *Pool) takeLocked(env *Environment) error {
	if env.exited() {
		p.discardLocked(env, ReasonFailure)
		return fmt.Errorf("environment %s: process exited", env.ID)
	}
	env.mu.Lock()
	defer env.mu.Unlock()
	if err := env.setState(Busy); err != nil {
		return err
	}
	if env.freezeTimer != nil {
		env.freezeTimer.Stop()
	}
	env.handoff = false
	if !env.Provisioned {
		p.countActiveLocked(env)
	}
	return nil
}

// thawed thaws a taken environment, if thaw is set. One that cannot be
// thawed is destroyed and the request acquires another.
func (p *Pool) thawed(ctx context.Context, spec *Spec, acq Acquisition, thaw bool) (Acquisition, error) {
	if !thaw {
		return acq, nil
	}
	if err := acq.Env.thaw(); err != nil {
		p.log.Warn("environment could not be thawed; replacing it", "env", acq.Env.ID, "err", err)
		p.Release(acq.Env, false)
		return p.Acquire(ctx, spec)
	}
	return acq, nil
}

func (p *Pool) newEnvLocked(spec *Spec, key string, vp *versionPool, provisioned bool) *Environment {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	now := p.opts.Now()
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
