package invoke

import (
	"fmt"

	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/pool"
)

// Limiter counts a reserved function's running invocations across the
// nodes of a cluster, on top of the pool's count on this node.
type Limiter interface {
	// Acquire takes one of limit units, reporting false when all are
	// taken.
	Acquire(function string, limit int) bool
	// Release gives back a unit taken by Acquire.
	Release(function string)
}

// takeShared takes a unit of a reserved function's concurrency from
// Options.Limiter; the invocation calls release when it ends. Without a
// limiter, or for an unreserved function, it takes nothing.
func (iv *Invoker) takeShared(req *Request, vs *versionSpec) (release func(), err error) {
	reserved := vs.pool.Reserved
	if iv.opts.Limiter == nil || reserved == nil {
		return func() {}, nil
	}
	if !iv.opts.Limiter.Acquire(req.Function, *reserved) {
		iv.throttled(req, vs, pool.ReasonReservedLimit)
		return nil, fmt.Errorf("invoke %s: %w", req.Function, &errdefs.ThrottleError{Reason: pool.ReasonReservedLimit})
	}
	return func() { iv.opts.Limiter.Release(req.Function) }, nil
}
