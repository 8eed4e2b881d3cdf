package config

import (
	"flag"
	"fmt"
	"strconv"
	"time"
)

// HTTPLimits bound what one client can hold of the API server: time to
// send a request, time to take an answer, idle keep-alive connections,
// header size and count, connections per client address and request body bytes in
// flight. Invoke is exempt from WriteTimeout (an invocation may run for 15
// minutes); its answer gets the function's longest timeout instead.
type HTTPLimits struct {
	ReadHeaderTimeout    time.Duration // to send a request's head
	ReadTimeout          time.Duration // to send a whole request, head and body
	WriteTimeout         time.Duration // from a request's head to the end of its answer (Invoke: 16 minutes)
	IdleTimeout          time.Duration // an idle keep-alive connection is closed after this
	MaxHeaderBytes       int           // request line and headers
	MaxHeaders           int           // header fields in one request
	MaxConnsPerClient    int           // open connections from one client address
	MaxBodyBytesInFlight int64         // request body bytes held by all requests at once
}

// DefaultHTTPLimits are the limits `hearth serve` runs with.
func DefaultHTTPLimits() HTTPLimits {
	return HTTPLimits{
		ReadHeaderTimeout:    10 * time.Second,
		ReadTimeout:          5 * time.Minute,
		WriteTimeout:         5 * time.Minute,
		IdleTimeout:          2 * time.Minute,
		MaxHeaderBytes:       64 << 10,
		MaxHeaders:           200,
		MaxConnsPerClient:    1024,
		MaxBodyBytesInFlight: 512 << 20,
	}
}

// flags registers the limits' flags on fs, each with an environment twin
// read through getenv; bad environment values are appended to errs.
func (l *HTTPLimits) flags(fs *flag.FlagSet, getenv func(string) string, errs *[]error) {
	dur := func(p *time.Duration, name, env, usage string) {
		if v := getenv(env); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				*errs = append(*errs, fmt.Errorf("%s: %w", env, err))
			}
			*p = d
		}
		fs.DurationVar(p, name, *p, usage+" (env "+env+")")
	}
	integer := func(p *int64, name, env, usage string) {
		if v := getenv(env); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				*errs = append(*errs, fmt.Errorf("%s: %w", env, err))
			}
			*p = n
		}
		fs.Int64Var(p, name, *p, usage+" (env "+env+")")
	}
	small := func(p *int, name, env, usage string) {
		n := int64(*p)
		integer(&n, name, env, usage)
		*p = int(n)
		fs.Lookup(name).Value = (*intValue)(p)
	}
	dur(&l.ReadHeaderTimeout, "http-read-header-timeout", "HEARTH_HTTP_READ_HEADER_TIMEOUT", "time a client has to send a request's headers")
	dur(&l.ReadTimeout, "http-read-timeout", "HEARTH_HTTP_READ_TIMEOUT", "time a client has to send a whole request")
	dur(&l.WriteTimeout, "http-write-timeout", "HEARTH_HTTP_WRITE_TIMEOUT", "time a client has to take an answer (Invoke: 16m)")
	dur(&l.IdleTimeout, "http-idle-timeout", "HEARTH_HTTP_IDLE_TIMEOUT", "idle keep-alive connections are closed after this")
	small(&l.MaxHeaderBytes, "http-max-header-bytes", "HEARTH_HTTP_MAX_HEADER_BYTES", "largest request line and headers")
	small(&l.MaxHeaders, "http-max-headers", "HEARTH_HTTP_MAX_HEADERS", "most header fields in one request")
	small(&l.MaxConnsPerClient, "http-max-conns-per-client", "HEARTH_HTTP_MAX_CONNS_PER_CLIENT", "open API connections allowed from one client address")
	integer(&l.MaxBodyBytesInFlight, "http-max-body-bytes-in-flight", "HEARTH_HTTP_MAX_BODY_BYTES_IN_FLIGHT",
		"request body bytes held by all requests at once; more is answered 429")
}

// validate reports the first limit that cannot work.
func (l HTTPLimits) validate() error {
	for _, d := range []time.Duration{l.ReadHeaderTimeout, l.ReadTimeout, l.WriteTimeout, l.IdleTimeout} {
		if d <= 0 {
			return fmt.Errorf("http timeout %v: must be positive", d)
		}
	}
	if l.MaxHeaderBytes < 4096 || l.MaxHeaders < 32 || l.MaxConnsPerClient < 1 || l.MaxBodyBytesInFlight < 1<<20 {
		return fmt.Errorf("http limits %+v: header bytes must be at least 4096, header fields at least 32, connections per client at least 1, body bytes in flight at least 1 MiB", l)
	}
	return nil
}

// intValue is a flag.Value over an int, so that an int flag can share the
// int64 flag's environment handling.
type intValue int

func (v *intValue) String() string { return strconv.Itoa(int(*v)) }

func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	*v = intValue(n)
	return err
}
