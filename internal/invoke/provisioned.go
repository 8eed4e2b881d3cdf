package invoke

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/pool"
)

// alias returns a function's alias, cached until FunctionChanged.
func (iv *Invoker) alias(name, alias string) (*function.Alias, error) {
	key := pool.Key(name, alias)
	iv.mu.Lock()
	a := iv.aliases[key]
	iv.mu.Unlock()
	if a != nil {
		return a, nil
	}
	gen := iv.generation()
	a, err := iv.opts.Store.Alias(name, alias)
	if err != nil {
		return nil, &errdefs.NotFoundError{Err: ErrFunctionNotFound, ARN: function.QualifiedARN(iv.opts.Region, iv.opts.Account, name, alias)}
	}
	iv.mu.Lock()
	if iv.gen == gen {
		iv.aliases[key] = a
	}
	iv.mu.Unlock()
	return a, nil
}

// pick chooses the version an invocation of an alias runs: the additional
// version with its weight's probability, else the primary one.
func pick(a *function.Alias) string {
	for v, w := range a.Weights {
		if rand.Float64() < w {
			return v
		}
	}
	return a.Version
}

// split divides an alias's provisioned environments between its versions
// in proportion to their weights.
func split(a *function.Alias, n int) map[string]int {
	out := map[string]int{a.Version: n}
	for v, w := range a.Weights {
		extra := int(math.Round(float64(n) * w))
		if extra > 0 {
			out[v] += extra
			out[a.Version] -= extra
		}
	}
	if out[a.Version] <= 0 {
		delete(out, a.Version)
	}
	return out
}

// Owner names the provisioned concurrency configuration of a version or
// alias in the pool.
func Owner(name, qualifier string) string { return name + ":" + qualifier }

// targets computes the provisioned environments the function's stored
// configurations ask for. moving, when set, is an alias about to change:
// its configuration provisions both its stored versions and those of
// moving, so that the new ones are warm before traffic moves.
func (iv *Invoker) targets(name string, moving *function.Alias) ([]pool.Target, error) {
	configs, err := iv.opts.Store.ProvisionedConfigs(name)
	if err != nil {
		return nil, err
	}
	var out []pool.Target
	var errs []error
	add := func(owner, version string, n int) {
		vs, err := iv.spec(name, version, version)
		if err != nil {
			errs = append(errs, err)
			return
		}
		for i := range out {
			if out[i].Owner == owner && out[i].Spec == &vs.pool {
				out[i].Count = max(out[i].Count, n)
				return
			}
		}
		out = append(out, pool.Target{Owner: owner, Spec: &vs.pool, Count: n})
	}
	for _, pc := range configs {
		owner := Owner(name, pc.Qualifier)
		requested := iv.share(owner, pc.Requested) // in a cluster, this node's part
		if function.IsVersion(pc.Qualifier) {
			add(owner, pc.Qualifier, requested)
			continue
		}
		a, err := iv.opts.Store.Alias(name, pc.Qualifier)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for v, n := range split(a, requested) {
			add(owner, v, n)
		}
		if moving != nil && moving.Name == a.Name {
			for v, n := range split(moving, requested) {
				add(owner, v, n)
			}
		}
	}
	return out, errors.Join(errs...)
}

// reconcile sets the function's provisioned environments to what its
// configurations ask for.
func (iv *Invoker) reconcile(name string, moving *function.Alias) []pool.Target {
	ts, err := iv.targets(name, moving)
	if err != nil {
		iv.log.Error("provisioned concurrency", "function", name, "err", err)
	}
	iv.opts.Pool.SetProvisioned(name, ts)
	return ts
}

// Restore tells the pool every function's reserved concurrency, so that
// admission is right from the first request (an unreserved function must
// not take a reserved one's share because that one has not run yet), and
// starts the provisioned environments of every stored configuration. A
// starting server calls it once.
func (iv *Invoker) Restore() error {
	for marker, pages := "", 0; pages == 0 || marker != ""; pages++ {
		fns, next, err := iv.opts.Store.ListFunctions(marker, 1000)
		if err != nil {
			return fmt.Errorf("restore reservations: %w", err)
		}
		for _, fn := range fns {
			if fn.ReservedConcurrency != nil {
				iv.opts.Pool.SetReserved(fn.Latest.Name, fn.ReservedConcurrency)
			}
		}
		marker = next
	}
	return iv.Rebalance()
}

// ProvisionStatus reports the state of the provisioned environments of a
// version's or alias's configuration.
func (iv *Invoker) ProvisionStatus(name, qualifier string) pool.ProvisionStatus {
	owner := Owner(name, qualifier)
	return iv.clusterStatus(owner, iv.opts.Pool.Provisioned(owner))
}

// maxWarmWait bounds how long an alias update waits for the provisioned
// environments of its new versions.
const maxWarmWait = 60 * time.Second

// PrepareAlias warms the provisioned environments an alias will need
// after a change, before the change is stored: with provisioned
// concurrency on the alias, traffic that moves to a new version finds its
// environments initialised. It waits until they are ready, failed, or ctx
// or maxWarmWait ends; the caller then stores the alias and calls
// FunctionChanged, which retires the old versions' environments after
// their in-flight requests.
func (iv *Invoker) PrepareAlias(ctx context.Context, next *function.Alias) {
	if _, err := iv.opts.Store.Alias(next.Function, next.Name); err != nil {
		return
	}
	owner := Owner(next.Function, next.Name)
	var wait []string
	for _, t := range iv.reconcile(next.Function, next) {
		if t.Owner == owner {
			wait = append(wait, t.Spec.Version)
		}
	}
	if len(wait) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, maxWarmWait)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ready := true
		for _, v := range wait {
			st := iv.opts.Pool.ProvisionedVersion(owner, next.Function, v)
			if st.Failed == "" && st.Ready < st.Requested {
				ready = false
			}
		}
		if ready {
			return
		}
		select {
		case <-ctx.Done():
			iv.log.Warn("alias moved before its provisioned environments were ready", "function", next.Function, "alias", next.Name)
			return
		case <-tick.C:
		}
	}
}
