// Package invoke runs one invocation end to end: it resolves the function
// and qualifier, acquires an execution environment from the pool, hands the
// event to the runtime with its deadline, turns the outcome — a response, a
// function error, a timeout, a crash — into Lambda's result, writes the
// START, END and REPORT lines, and releases the environment.
package invoke

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/hearth-run/hearth/internal/activity"
	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/pool"
	"github.com/hearth-run/hearth/internal/runtimes"
	"github.com/hearth-run/hearth/internal/sandbox"
	"github.com/hearth-run/hearth/internal/store"
)

// Store is the metadata invoke reads.
type Store interface {
	Function(name string) (*function.Function, error)
	Version(name, version string) (*function.Config, error)
	Versions(name string) ([]*function.Config, error)
	Alias(name, alias string) (*function.Alias, error)
	ProvisionedConfigs(name string) ([]*function.Provisioned, error)
	ListFunctions(marker string, max int) ([]*function.Function, string, error)
}

// CodeTrees finds the unpacked code of a package, and of several merged
// (a function's layers).
type CodeTrees interface {
	Tree(sha string) (string, error)
	Merged(shas []string) (string, error)
}

// Sandbox tells which paths a bootstrap sees.
type Sandbox interface {
	View(codeDir, runtimeDir string) (taskRoot, runtimeRoot string)
	OptView(optDir string) string
	// Expect hints that an environment of spec will probably start soon.
	Expect(spec sandbox.Spec)
}

// Options configures an Invoker. All fields but Logger are required.
type Options struct {
	Store      Store
	Code       CodeTrees
	Pool       *pool.Pool
	Sandbox    Sandbox
	RuntimeDir string // where runtimes.Install put the managed runtime bootstraps
	// Runtimes resolves runtime names to interpreters; nil runs every
	// runtime on the host's default interpreter of its family.
	Runtimes Runtimes
	// Credentials, when set, gives every new environment a session
	// credential of its function; APIEndpoint is where environments reach
	// the API (AWS_ENDPOINT_URL_LAMBDA).
	Credentials Credentials
	APIEndpoint string
	// Images finds the images of PackageType Image functions; nil refuses
	// them.
	Images Images
	// Queue accepts Event invocations; nil refuses them.
	Queue Enqueuer
	// Limiter, when set, counts reserved and account concurrency across a
	// cluster.
	Limiter Limiter
	// Placer, when set, forwards an invocation to another node of a
	// cluster when this one has no warm environment and no room for one.
	Placer Placer
	// Spreader, when set, gives this node its share of provisioned
	// concurrency in a cluster.
	Spreader Spreader
	Region   string
	Account  string
	// Events, when set, hears of every invocation's start and end, of
	// throttles and of deleted functions.
	Events *activity.Bus
	Logger *slog.Logger
}

// NetworkTag is the function tag that chooses its environments' network:
// "none" (loopback only) or "nat" (outbound through NAT; "host" is a
// synonym).
const NetworkTag = "hearth:network"

// Invoker runs invocations.
type Invoker struct {
	opts Options
	log  *slog.Logger

	mu sync.Mutex // guards specs, aliases and gen
	// specs caches the environment spec of each function version at its
	// current revision; FunctionChanged drops a function's entries.
	specs map[string]*versionSpec
	// aliases caches aliases by pool.Key(function, alias); FunctionChanged
	// drops a function's entries.
	aliases map[string]*function.Alias
	// gen counts FunctionChanged calls; a spec or alias read from the store
	// is cached only if no change happened meanwhile, so a lookup racing an
	// update never caches the old revision.
	gen uint64

	// wg counts invocations that have answered their caller and await
	// their runtime's next request (ending.go); Close waits for them.
	wg sync.WaitGroup
}

// versionSpec is everything about a version that does not change between
// its invocations.
type versionSpec struct {
	config  function.Config
	arn     string
	pool    pool.Spec
	missing error // set when the spec cannot start (e.g. no bootstrap)
}

// New returns an Invoker.
func New(opts Options) *Invoker {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Invoker{opts: opts, log: opts.Logger, specs: map[string]*versionSpec{}, aliases: map[string]*function.Alias{}}
}

// FunctionChanged drops cached specs and aliases of the function, brings
// its provisioned environments in line with its configurations, and
// retires environments of outdated revisions.
func (iv *Invoker) FunctionChanged(name string) {
	iv.mu.Lock()
	iv.gen++
	for k, vs := range iv.specs {
		if vs.config.Name == name {
			delete(iv.specs, k)
		}
	}
	for k, a := range iv.aliases {
		if a.Function == name {
			delete(iv.aliases, k)
		}
	}
	iv.mu.Unlock()
	current, err := iv.revisions(name)
	if err != nil {
		// Environments of outdated revisions still retire, one by one, as
		// requests with the new revision arrive; none is retired on a
		// guess.
		iv.log.Error("function changed but cannot be read; environments kept", "function", name, "err", err)
		return
	}
	iv.reconcile(name, nil)
	iv.opts.Pool.FunctionChanged(name, current)
	if _, ok := current[function.Latest]; ok {
		// A function just created or changed is usually invoked next:
		// its runtime's interpreter can start booting now.
		if vs, err := iv.spec(name, function.Latest, ""); err == nil && vs.missing == nil {
			iv.opts.Sandbox.Expect(vs.pool.Sandbox)
		}
	}
}

// revisions reads the current revision of each version of the function
// (none when it was deleted) and tells the pool its reservation.
func (iv *Invoker) revisions(name string) (map[string]string, error) {
	current := map[string]string{}
	fn, err := iv.opts.Store.Function(name)
	if errors.Is(err, store.ErrNotFound) {
		iv.opts.Pool.SetReserved(name, nil)
		iv.opts.Events.Publish(activity.Event{Kind: activity.FunctionDeleted, Function: name})
		return current, nil
	}
	if err != nil {
		return nil, err
	}
	current[function.Latest] = fn.Latest.RevisionID
	versions, err := iv.opts.Store.Versions(name)
	if err != nil {
		return nil, fmt.Errorf("versions of %s: %w", name, err)
	}
	for _, v := range versions {
		current[v.Version] = v.RevisionID
	}
	iv.opts.Pool.SetReserved(name, fn.ReservedConcurrency)
	return current, nil
}

// resolve finds the version a request names — through its alias, if it
// names one, choosing between the alias's versions by their weights — and
// the version's cached spec.
func (iv *Invoker) resolve(req *Request) (*versionSpec, error) {
	version := req.Qualifier
	switch {
	case version == "":
		version = function.Latest
	case version != function.Latest && !function.IsVersion(version):
		a, err := iv.alias(req.Function, version)
		if err != nil {
			return nil, err
		}
		version = pick(a)
	}
	return iv.spec(req.Function, version, req.Qualifier)
}

// spec returns the cached spec of a version, building it on first use.
// qualifier is what the caller named, for the not-found error.
func (iv *Invoker) spec(name, version, qualifier string) (*versionSpec, error) {
	key := pool.Key(name, version)
	iv.mu.Lock()
	vs := iv.specs[key]
	iv.mu.Unlock()
	if vs != nil {
		return vs, nil
	}
	gen := iv.generation()
	notFound := &errdefs.NotFoundError{Err: ErrFunctionNotFound, ARN: function.QualifiedARN(iv.opts.Region, iv.opts.Account, name, qualifier)}
	fn, err := iv.opts.Store.Function(name)
	if err != nil {
		return nil, notFound
	}
	c := &fn.Latest
	if version != function.Latest {
		if c, err = iv.opts.Store.Version(name, version); err != nil {
			return nil, notFound
		}
	}
	vs, err = iv.buildSpec(fn, c)
	if err != nil {
		return nil, err
	}
	iv.mu.Lock()
	if iv.gen == gen {
		iv.specs[key] = vs
	}
	iv.mu.Unlock()
	return vs, nil
}

func (iv *Invoker) generation() uint64 {
	iv.mu.Lock()
	defer iv.mu.Unlock()
	return iv.gen
}

// buildSpec derives the environment spec of a version: its command, its
// environment variables (Lambda's and the function's) and its limits.
func (iv *Invoker) buildSpec(fn *function.Function, c *function.Config) (*versionSpec, error) {
	if c.PackageType == function.PackageImage {
		return iv.buildImageSpec(fn, c)
	}
	rt, ok := runtimes.Lookup(c.Runtime)
	if !ok {
		return nil, fmt.Errorf("function %s: unknown runtime %q", c.Name, c.Runtime)
	}
	tree, err := iv.opts.Code.Tree(c.CodeSHA256)
	if err != nil {
		return nil, fmt.Errorf("code of %s: %w", c.Name, err)
	}
	taskRoot, runtimeRoot := iv.opts.Sandbox.View(tree, iv.opts.RuntimeDir)
	optDir, optRoot, err := iv.optTree(c)
	if err != nil {
		return nil, err
	}
	rc, err := iv.command(rt, taskRoot, runtimeRoot)
	vs := &versionSpec{config: *c, arn: function.QualifiedARN(iv.opts.Region, iv.opts.Account, c.Name, c.Version)}
	if err != nil {
		vs.missing = err
	}
	var noBootstrap *pool.InitError
	if rt.Family == "provided" {
		switch {
		case executable(filepath.Join(tree, "bootstrap")):
		case executable(filepath.Join(optDir, "bootstrap")):
			rc.path = optRoot + "/bootstrap" // a custom runtime shipped as a layer
		case rc.ownBootstrap:
			rc.path = runtimes.ImageBootstrap // the runtime image's
		default:
			// Init fails in the pool, which writes Lambda's trail for it.
			noBootstrap = &pool.InitError{Type: errdefs.RuntimeInvalidEntrypoint,
				Message: "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"}
		}
	}
	env := []string{
		"PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:" + optRoot + "/bin",
		"LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:" + runtimeRoot + ":" + taskRoot + ":" + taskRoot + "/lib:" + optRoot + "/lib",
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"_HANDLER=" + c.Handler,
		"AWS_REGION=" + iv.opts.Region,
		"AWS_DEFAULT_REGION=" + iv.opts.Region,
		"AWS_LAMBDA_FUNCTION_NAME=" + c.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(c.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION=" + c.Version,
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + c.Name,
		"LAMBDA_TASK_ROOT=" + taskRoot,
		"LAMBDA_RUNTIME_DIR=" + runtimeRoot,
	}
	if rt.ExecutionEnv != "" {
		env = append(env, "AWS_EXECUTION_ENV="+rt.ExecutionEnv)
	}
	env = append(env, c.Settings.LogEnv()...)
	env = append(env, layerEnv(rt, optRoot, runtimeRoot, taskRoot)...)
	hearthEnv := env[:len(env):len(env)]
	for k, v := range c.Environment {
		env = append(env, k+"="+v)
	}
	// The tag hearth:network overrides the server's network mode for the
	// function's new environments ("none", "nat" or "host").
	network := ""
	if n := fn.Tags[NetworkTag]; n == "none" || n == "nat" || n == "host" {
		network = n
	}
	path, args := rc.path, rc.args
	exts := externalExtensions(mountedOpt(c, optDir))
	if len(exts) > 0 {
		path, args = withExtensions(path, args, optRoot)
	}
	vs.pool = pool.Spec{
		Function: c.Name, Version: c.Version, Key: pool.Key(c.Name, c.Version), Revision: c.RevisionID, Reserved: fn.ReservedConcurrency, Runtime: c.Runtime,
		Handler: c.Handler, ExternalExtensions: exts,
		Sandbox: sandbox.Spec{
			CodeDir: tree, RuntimeDir: iv.runtimeDir(rc), OptDir: mountedOpt(c, optDir), RootFS: rc.rootFS, Path: path, Args: args, Env: env,
			MemoryMB: c.MemoryMB, EphemeralMB: c.EphemeralMB, Network: network, Binds: rc.binds,
		},
		LogFormat: logFormat(c.Settings),
		Starting:  iv.starting(c, rc.warning),
		Missing:   noBootstrap,
	}
	vs.pool.Sandbox.Prestart = prestartOf(rt, c, rc, &vs.pool.Sandbox, hearthEnv)
	return vs, nil
}
