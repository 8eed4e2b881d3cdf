// Package config holds Hearth's server configuration: its defaults, how it
// is loaded from command-line flags and their environment twins, and its
// validation. It is a leaf; cmd/hearth loads a Config once and hands the
// parts each package needs to that package's Options.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"time"
)

// Config is everything `hearth serve` can be told.
type Config struct {
	Listen           string        // API address, host:port
	DataDir          string        // metadata, code, logs and the async queue
	Region           string        // region reported in ARNs and AWS_REGION
	AccountID        string        // twelve-digit account in ARNs
	AccessKeyID      string        // root credentials; empty = generated on first start
	SecretAccessKey  string        // root credentials; empty = generated on first start
	IdleTimeout      time.Duration // keep-alive of an idle environment before it is shut down
	FreezeDelay      time.Duration // how long a released environment runs before it is frozen; 0 = at once, as Lambda
	Isolation        string        // "auto" or "off": sandbox environments when possible
	Network          string        // default network of environments: "nat" ("host" is a synonym) or "none"
	NetworkCIDR      string        // IPv4 range of the environments' NAT links, one /30 each
	ConcurrencyLimit int           // account-wide concurrent executions
	MinUnreserved    int           // concurrency reservations must leave this much unreserved
	RetryScale       float64       // scales async retry waits (1 = Lambda's 1 and 2 minutes)
	ScheduleSpeedup  float64       // runs schedule time this many times faster (1 = real time), for tests and demos
	LogLevel         string        // debug, info, warn, error
	MetricsListen    string        // address of an unauthenticated Prometheus /metrics endpoint; "" = none
	RuntimeDir       string        // interpreters by runtime name, DIR/python3.12/bin/...; "" = none
	RuntimeFallback  string        // "nearest" or "refuse": a runtime whose exact version is not installed
	InsecureRegistry bool          // pull function images over plain HTTP or unverified TLS from any registry
	URLListen        string        // extra address serving function URLs only; "" = none (the API listener serves them too)
	LogRetentionDays int           // retention of log groups without their own policy; 0 = never expire
	TLSCert          string        // PEM certificate (chain) file: the API speaks HTTPS; "" = plain HTTP
	TLSKey           string        // PEM private key file of TLSCert
	HTTP             HTTPLimits    // what one client can hold of the API server
	Cluster          Cluster       // the cluster this node belongs to; zero = a single Hearth
	Prestart         int           // isolated inits kept ready at most (the ready pool follows recent scale-out); PrestartAuto = memory bounds it; 0 = none

	// PrestartInterpreters bounds the managed-runtime interpreters kept
	// started ahead (Python, Node), one per runtime in recent use; 0 = none.
	PrestartInterpreters int
}

// Default returns the embedded defaults `hearth serve` runs on.
func Default() Config {
	return Config{
		Listen:           "127.0.0.1:9911",
		DataDir:          "./hearth-data",
		Region:           "us-east-1",
		AccountID:        "000000000000",
		IdleTimeout:      10 * time.Minute,
		Isolation:        "auto",
		Network:          "nat",
		NetworkCIDR:      "198.18.0.0/16",
		ConcurrencyLimit: 1000,
		MinUnreserved:    100,
		Prestart:         PrestartAuto,
		RetryScale:       1,
		ScheduleSpeedup:  1,
		LogLevel:         "info",
		RuntimeFallback:  "nearest",
		HTTP:             DefaultHTTPLimits(),

		PrestartInterpreters: 2,
	}
}

// Load parses args (without the program and subcommand names) over the
// defaults. Each flag has an environment twin, read through getenv, which a
// flag given on the command line overrides.
func Load(getenv func(string) string, args []string, stderr io.Writer) (Config, error) {
	c := Default()
	fs := flag.NewFlagSet("hearth serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	str := func(p *string, name, env, usage string) {
		if v := getenv(env); v != "" {
			*p = v
		}
		fs.StringVar(p, name, *p, usage+" (env "+env+")")
	}
	str(&c.Listen, "listen", "HEARTH_LISTEN", "address of the Lambda API")
	str(&c.DataDir, "data-dir", "HEARTH_DATA_DIR", "directory for metadata, code, logs and queued events")
	str(&c.Region, "region", "HEARTH_REGION", "region reported in ARNs")
	str(&c.AccountID, "account-id", "HEARTH_ACCOUNT_ID", "account ID reported in ARNs")
	str(&c.Isolation, "isolation", "HEARTH_ISOLATION", "auto: sandbox environments when running as root; off: plain processes")
	str(&c.Network, "network", "HEARTH_NETWORK", "network of environments: nat (outbound through NAT; host is a synonym) or none (loopback only)")
	str(&c.NetworkCIDR, "network-cidr", "HEARTH_NETWORK_CIDR", "IPv4 range of the environments' NAT links, one /30 each")
	str(&c.LogLevel, "log-level", "HEARTH_LOG_LEVEL", "debug, info, warn or error")
	str(&c.MetricsListen, "metrics-listen", "HEARTH_METRICS_LISTEN", "address for an unauthenticated Prometheus /metrics endpoint (off when empty)")
	str(&c.TLSCert, "tls-cert", "HEARTH_TLS_CERT", "PEM certificate file: serve the API over HTTPS (with --tls-key)")
	str(&c.TLSKey, "tls-key", "HEARTH_TLS_KEY", "PEM private key file of --tls-cert")
	str(&c.RuntimeDir, "runtime-dir", "HEARTH_RUNTIME_DIR", "directory of interpreters by runtime name (DIR/python3.12/bin/python3.12)")
	str(&c.RuntimeFallback, "runtime-fallback", "HEARTH_RUNTIME_FALLBACK", "nearest: run the nearest installed version with a WARNING; refuse: fail with Runtime.Unavailable")
	str(&c.URLListen, "url-listen", "HEARTH_URL_LISTEN", "extra address that serves function URLs only, e.g. behind a reverse proxy (off when empty)")
	c.InsecureRegistry = getenv("HEARTH_INSECURE_REGISTRY") == "true" || getenv("HEARTH_INSECURE_REGISTRY") == "1"
	fs.BoolVar(&c.InsecureRegistry, "insecure-registry", c.InsecureRegistry,
		"pull function images over plain HTTP or unverified TLS from any registry; loopback registries may always use HTTP (env HEARTH_INSECURE_REGISTRY)")
	c.AccessKeyID = getenv("HEARTH_ACCESS_KEY_ID")
	c.SecretAccessKey = getenv("HEARTH_SECRET_ACCESS_KEY")

	var errs []error
	dur := func(p *time.Duration, name, env, usage string) {
		if v := getenv(env); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", env, err))
			}
			*p = d
		}
		fs.DurationVar(p, name, *p, usage+" (env "+env+")")
	}
	integer := func(p *int, name, env, usage string) {
		if v := getenv(env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", env, err))
			}
			*p = n
		}
		fs.IntVar(p, name, *p, usage+" (env "+env+")")
	}
	dur(&c.IdleTimeout, "idle-timeout", "HEARTH_IDLE_TIMEOUT", "how long an idle environment is kept frozen before shutdown")
	dur(&c.FreezeDelay, "freeze-delay", "HEARTH_FREEZE_DELAY", "how long a released environment runs before it is frozen (0: at once, as Lambda)")
	integer(&c.ConcurrencyLimit, "concurrency-limit", "HEARTH_CONCURRENCY_LIMIT", "account-wide concurrent executions")
	integer(&c.LogRetentionDays, "log-retention", "HEARTH_LOG_RETENTION", "days log events are kept in log groups without a retention policy (0: forever)")
	integer(&c.MinUnreserved, "min-unreserved", "HEARTH_MIN_UNRESERVED", "concurrency that reservations must leave unreserved")
	prestartFlag(fs, &c.Prestart, getenv, &errs)
	integer(&c.PrestartInterpreters, "prestart-interpreters", "HEARTH_PRESTART_INTERPRETERS",
		"Python and Node interpreters kept started ahead at most, one per runtime with a cold start in the last 10 min, each holding its memory (0: none)")
	if v := getenv("HEARTH_RETRY_SCALE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("HEARTH_RETRY_SCALE: %w", err))
		}
		c.RetryScale = f
	}
	fs.Float64Var(&c.RetryScale, "retry-scale", c.RetryScale, "scale of async retry waits, 1 = Lambda's (env HEARTH_RETRY_SCALE)")
	c.HTTP.flags(fs, getenv, &errs)
	c.Cluster.flags(fs, getenv)
	fs.Float64Var(&c.ScheduleSpeedup, "schedule-speedup", c.ScheduleSpeedup, "run scheduled rules this many times faster than real time (tests and demos)")
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return c, c.Validate()
}

var accountRE = regexp.MustCompile(`^\d{12}$`)

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("listen address %q: %w", c.Listen, err)
	}
	if c.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			return fmt.Errorf("metrics listen address %q: %w", c.MetricsListen, err)
		}
	}
	if c.URLListen != "" {
		if _, _, err := net.SplitHostPort(c.URLListen); err != nil {
			return fmt.Errorf("url listen address %q: %w", c.URLListen, err)
		}
	}
	if c.LogRetentionDays < 0 {
		return errors.New("log retention must not be negative")
	}
	if c.Prestart < 0 && c.Prestart != PrestartAuto {
		return errors.New("prestart must be auto or not negative")
	}
	if c.PrestartInterpreters < 0 {
		return errors.New("prestart-interpreters must not be negative")
	}
	if c.DataDir == "" {
		return errors.New("data dir must not be empty")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("set both --tls-cert and --tls-key, or neither")
	}
	if !accountRE.MatchString(c.AccountID) {
		return fmt.Errorf("account id %q: must be twelve digits", c.AccountID)
	}
	if c.Region == "" {
		return errors.New("region must not be empty")
	}
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		return errors.New("set both HEARTH_ACCESS_KEY_ID and HEARTH_SECRET_ACCESS_KEY, or neither")
	}
	if c.FreezeDelay < 0 || c.FreezeDelay >= c.IdleTimeout {
		return fmt.Errorf("freeze delay %v: must be between 0 and the idle timeout", c.FreezeDelay)
	}
	if c.IdleTimeout <= 0 {
		return fmt.Errorf("idle timeout %v: must be positive", c.IdleTimeout)
	}
	switch c.Isolation {
	case "auto", "off":
	default:
		return fmt.Errorf("isolation %q: must be auto or off", c.Isolation)
	}
	switch c.Network {
	case "nat", "host", "none":
	default:
		return fmt.Errorf("network %q: must be nat, host or none", c.Network)
	}
	switch c.RuntimeFallback {
	case "nearest", "refuse":
	default:
		return fmt.Errorf("runtime fallback %q: must be nearest or refuse", c.RuntimeFallback)
	}
	if c.ConcurrencyLimit < 1 {
		return fmt.Errorf("concurrency limit %d: must be at least 1", c.ConcurrencyLimit)
	}
	if c.MinUnreserved < 0 || c.MinUnreserved > c.ConcurrencyLimit {
		return fmt.Errorf("min unreserved %d: must be between 0 and the concurrency limit", c.MinUnreserved)
	}
	if c.ScheduleSpeedup < 1 {
		return fmt.Errorf("schedule speedup %v: must be at least 1", c.ScheduleSpeedup)
	}
	if c.RetryScale <= 0 {
		return fmt.Errorf("retry scale %v: must be positive", c.RetryScale)
	}
	if err := c.Cluster.validate(); err != nil {
		return err
	}
	return c.HTTP.validate()
}
