// Package pool owns Hearth's execution environments: it starts them (a cold
// start), hands a free one to each request (a warm start, most recently used
// first), freezes them while idle, shuts them down after a keep-alive
// period, and retires those of an outdated revision.
//
// # Model
//
// Environments belong to one function version and one revision of its
// configuration. Each serves one request at a time, so N concurrent
// requests need N environments. Every cold start carries a reason — the
// first for its version, a scale-out past the busy ones, the first after a
// code or configuration update, or the first after idle ones were shut down
// — and its phase timings.
//
// # Keep-alive
//
// Lambda keeps a frozen environment for an unspecified time. Hearth keeps
// one for Options.IdleTimeout (10 minutes in `hearth serve`): long enough
// that steady traffic, even one request every few minutes, stays warm; short
// enough that a burst's environments do not hold memory for long.
//
// # Retiring
//
// An environment leaves the pool — reaped, of an outdated revision, no
// longer wanted by a provisioned target, failed — under the pool's lock,
// and is then stopped in the background, at most Options.MaxParallelStops
// at a time, so that no request or API call waits for a stop's grace
// period. Close stops the rest and waits for every stop. A process that
// arrives for an environment stopped during its start is stopped at once.
//
// # Testing
//
// The pool reaches processes only through Starter and Process, and time
// through Options.Now. Its tests run it on pooltest's fake processes,
// which speak the real Runtime API from goroutines, and a randomized
// simulation checks its invariants after each of thousands of steps.
//
// # Provisioned concurrency
//
// SetProvisioned declares, per function, how many environments each
// provisioned concurrency configuration wants of each version. They start
// at once, off any request path, with AWS_LAMBDA_INITIALIZATION_TYPE set to
// provisioned-concurrency; Acquire hands them out before any on-demand
// environment, and such an acquisition is not cold. They are never reaped
// for idleness; one that dies after Init is replaced, while one whose Init
// fails marks its configuration failed and is not retried until the
// configuration changes. They count against the function's reserved
// concurrency, and those of unreserved functions against the account's
// unreserved concurrency, as on Lambda.
package pool
