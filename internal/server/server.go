// Package server wires Hearth's packages into one running server: it opens
// the data dir, the metadata store and the code store, prepares the
// sandbox, the managed runtimes and the environment pool, and serves the
// API until its context ends. cmd/hearth and the end-to-end tests use it.
package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hearth-run/hearth/internal/activity"
	"github.com/hearth-run/hearth/internal/api"
	"github.com/hearth-run/hearth/internal/api/sigv4"
	"github.com/hearth-run/hearth/internal/codestore"
	"github.com/hearth-run/hearth/internal/config"
	"github.com/hearth-run/hearth/internal/console"
	"github.com/hearth-run/hearth/internal/credentials"
	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/images"
	"github.com/hearth-run/hearth/internal/invoke"
	"github.com/hearth-run/hearth/internal/logs"
	"github.com/hearth-run/hearth/internal/metrics"
	"github.com/hearth-run/hearth/internal/pool"
	"github.com/hearth-run/hearth/internal/queue"
	"github.com/hearth-run/hearth/internal/runtimes"
	"github.com/hearth-run/hearth/internal/sandbox"
	"github.com/hearth-run/hearth/internal/schedule"
	"github.com/hearth-run/hearth/internal/store"
)

// The concrete types wired here satisfy the interfaces their consumers
// declare.
var (
	_ api.Store           = store.Metadata(nil)
	_ api.RuleStore       = store.Metadata(nil)
	_ api.Policies        = store.Metadata(nil)
	_ api.URLStore        = store.Metadata(nil)
	_ api.CodeStore       = (*codestore.Store)(nil)
	_ api.Invoker         = (*invoke.Invoker)(nil)
	_ api.Environments    = (*pool.Pool)(nil)
	_ api.RulesChanged    = (*schedule.Scheduler)(nil)
	_ invoke.Store        = store.Metadata(nil)
	_ invoke.CodeTrees    = (*codestore.Store)(nil)
	_ invoke.Sandbox      = (*sandbox.Manager)(nil)
	_ invoke.Enqueuer     = (*queue.Queue)(nil)
	_ queue.Invoker       = (*invoke.Invoker)(nil)
	_ queue.ConfigSource  = invoke.AsyncConfigs{}
	_ schedule.RuleSource = store.Metadata(nil)
)

// Server is a running Hearth.
type Server struct {
	Config      config.Config
	Credentials credentials.Credentials
	// GeneratedCredentials is true when this start created the credentials.
	GeneratedCredentials bool
	// Events is the one source of operational events: the pool, the
	// invoker and the queue publish to it; the metrics read from it.
	Events *activity.Bus
	// Metrics are the Prometheus metrics, fed by Events.
	Metrics *metrics.Metrics

	log      *slog.Logger
	listener net.Listener
	// envListener serves the API to isolated environments; nil when they
	// share the host's network.
	envListener net.Listener
	http        *http.Server
	// front serves the API's listeners: plain Invokes itself, the rest
	// through http.
	front   *api.Front
	store   store.Metadata // bbolt, or JetStream in a cluster
	bolt    *store.Store   // the data dir's bbolt database; the queue's buckets are there
	sandbox *sandbox.Manager
	pool    *pool.Pool
	invoker *invoke.Invoker
	code    *codestore.Store
	queue   *queue.Queue
	// metricsListener and metricsHTTP serve --metrics-listen, when set.
	metricsListener net.Listener
	metricsHTTP     *http.Server
	// console serves the web console at /console/ on the API listener.
	console *console.Console
	sched   *schedule.Scheduler
	// logStore holds the log groups; its retention runs in Serve.
	logStore *logs.Store
	// urlListener and urlHTTP serve --url-listen, when set.
	urlListener net.Listener
	urlHTTP     *http.Server
	// cluster is set when this Hearth is a node of a cluster.
	cluster clusterState
}

// New opens the data dir and prepares every part of the server; Serve then
// answers requests. On error everything opened so far is closed again.
func New(cfg config.Config, log *slog.Logger) (_ *Server, err error) {
	s := &Server{Config: cfg, log: log, Events: activity.New(activity.Options{})}
	s.Metrics = metrics.New(metrics.Options{Extra: s.gauges})
	s.Events.Handle(s.Metrics.Observe)
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	dir := cfg.DataDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	if s.bolt, err = openStore(dir, log); err != nil {
		return nil, err
	}
	s.store = s.bolt
	s.Credentials, s.GeneratedCredentials, err = credentials.Ensure(dir, cfg.AccessKeyID, cfg.SecretAccessKey)
	if err != nil {
		return nil, err
	}
	code, err := codestore.Open(codestore.Options{Dir: filepath.Join(dir, "code")})
	if err != nil {
		return nil, err
	}
	s.code = code
	shared, err := s.joinCluster(cfg, code)
	if err != nil {
		return nil, err
	}
	if n, err := api.CollectCode(shared, s.store); err != nil || n > 0 {
		log.Info("unused code packages collected", "count", n, "err", err)
	}
	runtimeDir := filepath.Join(dir, "runtime")
	if err := runtimes.Install(runtimeDir); err != nil {
		return nil, fmt.Errorf("install managed runtimes: %w", err)
	}
	imageStore, err := images.Open(ImageDir(dir))
	if err != nil {
		return nil, err
	}
	if err := collectImages(s.store, imageStore, log); err != nil {
		log.Warn("unused images not removed", "err", err)
	}
	catalogue, err := Catalogue(CatalogueOptions{
		DataDir: dir, RuntimeDir: cfg.RuntimeDir, Fallback: cfg.RuntimeFallback, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	logStore, err := logs.Open(logs.Options{Dir: filepath.Join(dir, "logs"), RetentionDays: cfg.LogRetentionDays, Logger: log})
	if err != nil {
		return nil, err
	}
	s.logStore = logStore
	s.sandbox, err = sandbox.New(sandbox.Options{
		StateDir: filepath.Join(dir, "sandbox"), CgroupParent: cgroupParent(dir),
		Isolation: cfg.Isolation, Network: cfg.Network, NetworkCIDR: cfg.NetworkCIDR, Logger: log,
		Prestart: prestart(cfg.Prestart), Interpreters: cfg.PrestartInterpreters,
		ScaleOut: boltScaleOut{s.bolt.DB()},
	})
	if err != nil {
		return nil, err
	}
	s.pool = pool.New(pool.Options{
		Sandbox: s.sandbox, Logs: logStore, IdleTimeout: cfg.IdleTimeout, FreezeDelay: cfg.FreezeDelay,
		AccountLimit: cfg.ConcurrencyLimit, Events: s.Events, Logger: log,
	})
	s.listener, err = net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.listener = newLimitListener(s.listener, cfg.HTTP.MaxConnsPerClient)
	if s.listener, err = withTLS(cfg, s.listener); err != nil {
		return nil, err
	}
	// Environments get a session credential and the API's address.
	sessions := credentials.NewSessions(credentials.SessionOptions{})
	endpoint := ""
	if s.envListener, endpoint, err = s.listenForEnvironments(cfg); err != nil {
		return nil, err
	}
	if s.envListener != nil {
		s.envListener = newLimitListener(s.envListener, cfg.HTTP.MaxConnsPerClient)
	}
	s.queue, err = queue.New(queue.Options{
		DB: s.bolt.DB(), Invoker: asyncInvoker{s}, Configs: invoke.AsyncConfigs{Store: s.store},
		FunctionARN: func(name, qualifier string) string {
			if qualifier == "" {
				qualifier = function.Latest
			}
			return function.QualifiedARN(cfg.Region, cfg.AccountID, name, qualifier)
		},
		RetryDelays:     []time.Duration{scaled(time.Minute, cfg.RetryScale), scaled(2*time.Minute, cfg.RetryScale)},
		ThrottleBackoff: [2]time.Duration{scaled(time.Second, cfg.RetryScale), scaled(5*time.Minute, cfg.RetryScale)},
		Logger:          log,
		Observe:         s.observeAsync,
		Settled:         s.settledAsync,
	})
	if err != nil {
		return nil, err
	}
	enqueuer, err := s.clusterEvents()
	if err != nil {
		return nil, err
	}
	s.invoker = invoke.New(invoke.Options{
		Store: s.store, Code: shared, Pool: s.pool, Sandbox: s.sandbox, RuntimeDir: runtimeDir,
		Runtimes: catalogue, Credentials: sessions, APIEndpoint: endpoint, Images: imageStore,
		Region: cfg.Region, Account: cfg.AccountID, Events: s.Events, Logger: log, Queue: enqueuer,
		Limiter: s.limiter(), Placer: s.placer(), Spreader: s.spreader(),
	})
	if err := s.invoker.Restore(); err != nil {
		return nil, fmt.Errorf("restore provisioned concurrency: %w", err)
	}
	schedOpts := schedule.Options{
		Rules: s.store, Logger: log,
		Fire: s.fireOnce(fireRule(s.queue, &rulePermit{policies: s.store, account: cfg.AccountID, log: log}, cfg.Region, cfg.AccountID, log)),
	}
	if cfg.ScheduleSpeedup > 1 {
		clock := fastClock{start: time.Now(), speedup: cfg.ScheduleSpeedup}
		schedOpts.Now, schedOpts.After = clock.Now, clock.After
	}
	s.sched = schedule.New(schedOpts)
	creds := s.Credentials
	verifier := sigv4.New(sigv4.Options{Lookup: func(id string) (string, bool) {
		if id == creds.AccessKeyID {
			return creds.SecretAccessKey, true
		}
		return sessions.Secret(id)
	}})
	rootKey := func(id string) (string, bool) {
		if id == creds.AccessKeyID {
			return creds.SecretAccessKey, true
		}
		return "", false
	}
	s.console = console.New(console.Options{Events: s.Events, Secret: rootKey, Verifier: verifier,
		Catalog: catalog{s.store}, Logs: logStore, Logger: log})
	urlKey := make([]byte, 32)
	_, _ = rand.Read(urlKey)
	handler := api.New(api.Options{
		Store: s.store, Code: shared, Verifier: api.SigV4(verifier), Invoker: s.invoker, Environments: s.pool,
		Cluster: s.statusSource(),
		Rules:   s.store, RulesChanged: s.sched, Metrics: s.Metrics.Handler(),
		Logs: logStore, Policies: s.store, URLs: s.store, URLPort: urlPort(cfg), URLScheme: s.scheme(), LogGroups: logStore,
		Region: cfg.Region, Account: cfg.AccountID, ConcurrencyLimit: cfg.ConcurrencyLimit,
		MinUnreserved: cfg.MinUnreserved, URLKey: urlKey, Sessions: sessions,
		Images: imageFetcher{store: imageStore, insecure: cfg.InsecureRegistry}, Logger: log,
		MaxBodyBytesInFlight: cfg.HTTP.MaxBodyBytesInFlight,
	})
	s.http = apiHTTPServer(s.withConsole(handler), cfg.HTTP)
	s.http.RegisterOnShutdown(s.console.Close) // its event streams never go idle
	s.front = handler.NewFront(api.FrontOptions{HTTP: s.http, MaxHeaders: cfg.HTTP.MaxHeaders})
	if err := s.listenURLs(cfg, handler); err != nil {
		return nil, err
	}
	if cfg.MetricsListen != "" {
		s.metricsListener, err = net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			return nil, fmt.Errorf("metrics listen: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", s.Metrics.Handler())
		s.metricsHTTP = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	}
	return s, nil
}

// Addr is the address the API listens on.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Serve answers requests until ctx ends, then lets in-flight requests
// finish, stops every environment and closes the data dir.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.front.Serve(s.listener) }()
	if s.envListener != nil {
		go func() { _ = s.front.Serve(s.envListener) }() // ends with Shutdown below
	}
	bgCtx, stopBackground := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	if s.metricsHTTP != nil {
		bg.Add(1)
		go func() { defer bg.Done(); _ = s.metricsHTTP.Serve(s.metricsListener) }()
	}
	if s.urlHTTP != nil {
		bg.Add(1)
		go func() { defer bg.Done(); _ = s.urlHTTP.Serve(s.urlListener) }()
	}
	bg.Add(1)
	go func() { defer bg.Done(); s.runLogRetention(bgCtx) }()
	bg.Add(2)
	go func() { defer bg.Done(); _ = s.queue.Run(bgCtx) }()
	go func() { defer bg.Done(); _ = s.sched.Run(bgCtx) }()
	go s.runCluster(bgCtx)
	s.log.Info("hearth serving", "listen", s.Addr(), "data_dir", s.Config.DataDir,
		"isolated", s.sandbox.Isolated(), "region", s.Config.Region, "api", s.scheme()+"://"+s.Addr(), "metrics", s.metricsURL(),
		"console", s.scheme()+"://"+s.Addr()+"/console/ (hearth console prints a login link)")
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.log.Info("shutting down; waiting for in-flight requests")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		err = s.front.Shutdown(shutdownCtx)
		cancel()
		<-errc
	}
	stopBackground()
	if s.metricsHTTP != nil {
		_ = s.metricsHTTP.Close()
	}
	if s.urlHTTP != nil {
		_ = s.urlHTTP.Close()
	}
	bg.Wait()
	s.close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (s *Server) close() {
	if s.metricsListener != nil {
		s.metricsListener.Close()
	}
	if s.urlListener != nil && s.urlHTTP == nil {
		s.urlListener.Close()
	}
	if s.envListener != nil && s.http == nil {
		// Not served yet; Shutdown closes it otherwise.
		s.envListener.Close()
	}
	if s.listener != nil && s.http == nil {
		s.listener.Close()
	}
	if s.invoker != nil {
		// Invocations that answered their callers end at their runtime's
		// next request; give them a moment before their environments stop.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		s.invoker.Drain(ctx)
		cancel()
	}
	if s.pool != nil {
		s.pool.Close()
	}
	if s.invoker != nil {
		s.invoker.Close()
	}
	if s.sandbox != nil {
		s.sandbox.Close()
	}
	if s.code != nil {
		s.code.Close()
	}
	if s.bolt != nil {
		s.bolt.Close()
	}
	s.closeCluster()
}

// cgroupParent names the cgroup that holds this data dir's environments
// (sandbox.CgroupParentFor).
func cgroupParent(dataDir string) string { return sandbox.CgroupParentFor(dataDir) }

// prestart maps the configured ready pool bound to sandbox.Options.Prestart,
// where 0 is memory's bound alone and a negative number none.
func prestart(n int) int {
	switch {
	case n == config.PrestartAuto:
		return 0
	case n <= 0:
		return -1
	}
	return n
}
