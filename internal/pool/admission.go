package pool

import "github.com/hearth-run/hearth/internal/errdefs"

// admitLocked applies reserved and account concurrency to one more
// on-demand environment. Provisioned environments count against the
// function's reservation, and those of unreserved functions against the
// account's unreserved concurrency, as on Lambda.
func (p *Pool) admitLocked(spec *Spec) error {
	if spec.Reserved != nil {
		p.reserved[spec.Function] = *spec.Reserved
		if p.active[spec.Function]+p.provisioned[spec.Function] >= *spec.Reserved {
			return &errdefs.ThrottleError{Reason: ReasonReservedLimit}
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
		return &errdefs.ThrottleError{Reason: ReasonAccountLimit}
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
	if env.countedActive {
		return
	}
	env.countedActive = true
	p.active[env.Function]++
	_, reserved := p.reserved[env.Function]
	env.countedUnreserved = !reserved
	if !reserved {
		p.unreservedActive++
	}
}

// uncountActiveLocked undoes countActiveLocked; it may be called more than
// once (a failed start, then its discard).
func (p *Pool) uncountActiveLocked(env *Environment) {
	if !env.countedActive {
		return
	}
	env.countedActive = false
	p.active[env.Function]--
	if p.active[env.Function] == 0 {
		delete(p.active, env.Function)
	}
	if env.countedUnreserved {
		p.unreservedActive--
		env.countedUnreserved = false
	}
}
