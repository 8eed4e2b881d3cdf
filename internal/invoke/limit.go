package invoke

import (
	"fmt"

	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/pool"
)

// Limiter counts running invocations across the nodes of a cluster, on
// top of the pool's count on this node: a reserved function's under its
// name, those of unreserved functions under AccountKey.
type Limiter interface {
	// Acquire takes one of limit units, reporting false when all are
	// taken.
	Acquire(key string, limit int) bool
	// Release gives back a unit taken by Acquire.
	Release(key string)
}

// AccountKey is the Limiter key of the account's unreserved concurrency;
// no function can have this name (it has a dot).
const AccountKey = "account.unreserved"

// takeShared takes a unit of the cluster's concurrency from
// Options.Limiter: of the function's reservation, or of the account's
// unreserved concurrency; the invocation calls release when it ends.
// Without a limiter it takes nothing.
func (iv *Invoker) takeShared(req *Request, vs *versionSpec) (release func(), err error) {
	if iv.opts.Limiter == nil {
		return func() {}, nil
	}
	key, limit, reason := AccountKey, iv.opts.Pool.UnreservedLimit(), pool.ReasonAccountLimit
	if r := vs.pool.Reserved; r != nil {
		key, limit, reason = req.Function, *r, pool.ReasonReservedLimit
	}
	if !iv.opts.Limiter.Acquire(key, limit) {
		iv.throttled(req, vs, reason)
		return nil, fmt.Errorf("invoke %s: %w", req.Function, &errdefs.ThrottleError{Reason: reason})
	}
	return func() { iv.opts.Limiter.Release(key) }, nil
}
