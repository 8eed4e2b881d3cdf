package pool

import "fmt"

// checkInvariants checks, under the pool's lock, what must hold between
// any two operations:
//   - every listed environment is in exactly one live state, and one
//     version pool; the idle list holds exactly its Idle environments,
//     once each;
//   - the active counts equal the Starting and Busy on-demand environments,
//     and never exceed a reservation or the account's unreserved share;
//   - each target's environments are listed, and the provisioned counts
//     match them.
//
// held, when exact, is the set of environments the simulation holds: then
// the Busy environments must be exactly those.
func (p *Pool) checkInvariants(held map[*Environment]bool, exact bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	active := map[string]int{}
	unreserved := 0
	seen := map[string]string{}
	busy := map[*Environment]bool{}
	for key, vp := range p.versions {
		if err := checkIdle(key, vp); err != nil {
			return err
		}
		for id, env := range vp.all {
			if other, ok := seen[id]; ok {
				return fmt.Errorf("environment %s in %s and %s", id, other, key)
			}
			seen[id] = key
			env.mu.Lock()
			st := env.state
			env.mu.Unlock()
			switch st {
			case Starting, Busy:
				if st == Busy {
					busy[env] = true
				}
				if env.Provisioned {
					break
				}
				if !env.countedActive {
					return fmt.Errorf("%s environment %s not counted active", st, id)
				}
				active[env.Function]++
				if env.countedUnreserved {
					unreserved++
				}
			case Idle:
				if env.countedActive {
					return fmt.Errorf("idle environment %s counted active", id)
				}
			default:
				return fmt.Errorf("environment %s listed while %s", id, st)
			}
		}
	}
	if err := p.checkCounts(active, unreserved); err != nil {
		return err
	}
	if err := p.checkTargets(); err != nil {
		return err
	}
	if exact {
		for env := range busy {
			if !held[env] {
				return fmt.Errorf("environment %s Busy but held by no invocation", env.ID)
			}
		}
		for env := range held {
			if !busy[env] {
				return fmt.Errorf("held environment %s is %s, not Busy", env.ID, env.State())
			}
		}
	}
	return nil
}

func checkIdle(key string, vp *versionPool) error {
	inIdle := map[*Environment]bool{}
	for _, env := range vp.idle {
		if inIdle[env] {
			return fmt.Errorf("environment %s twice in the idle list of %s", env.ID, key)
		}
		inIdle[env] = true
		if vp.all[env.ID] != env {
			return fmt.Errorf("idle environment %s not listed in %s", env.ID, key)
		}
	}
	for _, env := range vp.all {
		env.mu.Lock()
		st := env.state
		env.mu.Unlock()
		if (st == Idle) != inIdle[env] {
			return fmt.Errorf("environment %s is %s; in idle list: %v", env.ID, st, inIdle[env])
		}
	}
	return nil
}

func (p *Pool) checkCounts(active map[string]int, unreserved int) error {
	for fn, n := range p.active {
		if active[fn] != n {
			return fmt.Errorf("function %s: %d counted active, %d Starting or Busy", fn, n, active[fn])
		}
	}
	for fn, n := range active {
		if p.active[fn] != n {
			return fmt.Errorf("function %s: %d counted active, %d Starting or Busy", fn, p.active[fn], n)
		}
	}
	if unreserved != p.unreservedActive {
		return fmt.Errorf("unreserved active %d, counted %d", unreserved, p.unreservedActive)
	}
	taken := 0
	for fn, r := range p.reserved {
		taken += r
		if active[fn] > r {
			return fmt.Errorf("function %s: %d on-demand environments active over its reservation of %d", fn, active[fn], r)
		}
	}
	if unreserved > p.opts.AccountLimit-taken {
		return fmt.Errorf("%d unreserved environments active, account allows %d", unreserved, p.opts.AccountLimit-taken)
	}
	return nil
}

func (p *Pool) checkTargets() error {
	provisioned := map[string]int{}
	for _, t := range p.targets {
		vp := p.versions[t.key]
		for id, env := range t.envs {
			if vp == nil || vp.all[id] != env {
				return fmt.Errorf("target %s: environment %s not listed", t.owner, id)
			}
			provisioned[env.Function]++
		}
	}
	for fn, n := range p.provisioned {
		if provisioned[fn] != n {
			return fmt.Errorf("function %s: %d provisioned counted, %d in targets", fn, n, provisioned[fn])
		}
	}
	return nil
}
