package pool

import (
	"errors"
	"sort"
)

// Target asks for Count provisioned environments of one function version,
// on behalf of Owner: a provisioned concurrency configuration, named by
// its function and qualifier. A configuration on a weighted alias has one
// Target per version it routes to.
type Target struct {
	Owner string
	Spec  *Spec
	Count int
}

// ProvisionStatus is the state of an owner's provisioned environments.
type ProvisionStatus struct {
	Requested int // environments asked for
	Ready     int // environments that finished Init and are alive
	// Failed is Lambda's StatusReason when Init of a provisioned
	// environment failed; such a target stops retrying until it is set
	// again.
	Failed string
}

// StatusFailedInit is the StatusReason of a configuration whose
// environments failed Init.
const StatusFailedInit = "FUNCTION_ERROR_INIT_FAILURE"

// target is a Target being kept: its live environments and its failure.
type target struct {
	owner  string
	key    string // pool key of the version
	spec   *Spec
	want   int
	envs   map[string]*Environment // live environments, starting or ready
	failed string
}

func targetKey(owner, key string) string { return owner + "\x00" + key }

// SetProvisioned makes the function's provisioned environments match
// targets: it starts the missing ones in the background, with
// AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency, and retires those
// no target wants any more — idle ones at once, busy ones when their
// request ends. Targets of the function not listed are dropped.
func (p *Pool) SetProvisioned(function string, targets []Target) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	seen := map[string]bool{}
	for _, t := range targets {
		key := Key(t.Spec.Function, t.Spec.Version)
		tk := targetKey(t.Owner, key)
		seen[tk] = true
		cur := p.targets[tk]
		if cur == nil {
			cur = &target{owner: t.Owner, key: key, envs: map[string]*Environment{}}
			p.targets[tk] = cur
		}
		if cur.want != t.Count || cur.spec == nil || cur.spec.Revision != t.Spec.Revision {
			cur.failed = "" // a new request gets a new attempt
		}
		cur.spec, cur.want = t.Spec, t.Count
		if t.Spec.Reserved != nil {
			p.reserved[function] = *t.Spec.Reserved
		}
	}
	for tk, t := range p.targets {
		if t.spec.Function != function {
			continue
		}
		if !seen[tk] {
			t.want = 0
		}
		p.retireLocked(p.trimLocked(t))
		p.fillLocked(t)
		if t.want == 0 && len(t.envs) == 0 {
			delete(p.targets, tk)
		}
	}
}

// trimLocked removes idle environments a target has beyond its want and
// returns them to be stopped. Busy ones go when released.
func (p *Pool) trimLocked(t *target) []*Environment {
	vp := p.versions[t.key]
	if vp == nil || len(t.envs) <= t.want {
		return nil
	}
	tk := targetKey(t.owner, t.key)
	var stop []*Environment
	keep := vp.idle[:0]
	for _, env := range vp.idle {
		if env.target == tk && len(t.envs) > t.want {
			delete(vp.all, env.ID)
			delete(t.envs, env.ID)
			p.provisioned[env.Function]--
			stop = append(stop, env)
			continue
		}
		keep = append(keep, env)
	}
	vp.idle = keep
	return stop
}

// fillLocked starts the environments a target lacks.
func (p *Pool) fillLocked(t *target) {
	if p.closed || t.failed != "" {
		return
	}
	vp := p.version(t.key)
	for len(t.envs) < t.want {
		env := p.newEnvLocked(t.spec, t.key, vp, true)
		env.target = targetKey(t.owner, t.key)
		t.envs[env.ID] = env
		p.provisioned[env.Function]++
		spec := t.spec // SetProvisioned may replace t.spec meanwhile
		p.spawnLocked(func() { p.startProvisioned(t, env, spec) })
	}
}

// startProvisioned runs Init of a provisioned environment, off any request
// path, and makes it available.
func (p *Pool) startProvisioned(t *target, env *Environment, spec *Spec) {
	err := p.start(p.ctx, env, spec, "provisioned-concurrency")
	if err != nil {
		p.discard(env, ReasonFailure)
	}
	p.readyProvisioned(t, env, err)
}

// readyProvisioned records the outcome of a provisioned environment's Init;
// one no longer wanted is retired.
func (p *Pool) readyProvisioned(t *target, env *Environment, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		// start discarded the environment already.
		var ie *InitError
		if errors.As(err, &ie) && !p.closed {
			t.failed = StatusFailedInit
			p.log.Warn("provisioned environment failed init", "function", env.Function,
				"version", env.Version, "err", err)
		}
		return
	}
	vp := p.versions[env.Key]
	if p.closed || vp == nil || vp.all[env.ID] == nil {
		return
	}
	if len(t.envs) > t.want {
		delete(vp.all, env.ID)
		delete(t.envs, env.ID)
		p.provisioned[env.Function]--
		p.retireLocked([]*Environment{env})
		return
	}
	env.ready = true
	env.mu.Lock()
	err = env.setState(Idle)
	env.lastUsed = p.opts.Now()
	if err == nil {
		env.scheduleFreeze(p.opts.FreezeDelay)
	}
	env.mu.Unlock()
	if err != nil {
		return
	}
	vp.idle = append(vp.idle, env)
	p.log.Info("provisioned environment ready", "function", env.Function, "version", env.Version,
		"env", env.ID, "init_ms", ms(env.initDuration))
}

// dropProvisionedLocked forgets a provisioned environment that is going
// away and starts a replacement if its target still wants one.
func (p *Pool) dropProvisionedLocked(env *Environment) {
	t := p.targets[env.target]
	if t == nil || t.envs[env.ID] == nil {
		return
	}
	delete(t.envs, env.ID)
	p.provisioned[env.Function]--
	if env.ready && len(t.envs) < t.want {
		p.log.Info("replacing provisioned environment", "function", env.Function, "version", env.Version, "env", env.ID)
		p.fillLocked(t)
	}
}

// surplusLocked reports whether a released provisioned environment is
// beyond what its target wants now.
func (p *Pool) surplusLocked(env *Environment) bool {
	t := p.targets[env.target]
	return t == nil || len(t.envs) > t.want
}

// hasTargetLocked reports whether a version has provisioned environments
// wanted.
func (p *Pool) hasTargetLocked(key string) bool {
	for _, t := range p.targets {
		if t.key == key && t.want > 0 {
			return true
		}
	}
	return false
}

// Provisioned reports the state of an owner's provisioned environments,
// summed over the versions it provisions.
func (p *Pool) Provisioned(owner string) ProvisionStatus { return p.provisionedStatus(owner, "") }

// ProvisionedVersion reports the state of an owner's provisioned
// environments of one version.
func (p *Pool) ProvisionedVersion(owner, function, version string) ProvisionStatus {
	return p.provisionedStatus(owner, Key(function, version))
}

func (p *Pool) provisionedStatus(owner, key string) ProvisionStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	var st ProvisionStatus
	for _, t := range p.targets {
		if t.owner != owner || key != "" && t.key != key {
			continue
		}
		st.Requested += t.want
		ready := 0
		for _, env := range t.envs {
			if env.ready {
				ready++
			}
		}
		st.Ready += min(ready, t.want)
		if t.failed != "" {
			st.Failed = t.failed
		}
	}
	return st
}

// ProvisionedOwners lists the owners with provisioned environments, for
// inspection.
func (p *Pool) ProvisionedOwners() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, t := range p.targets {
		if !seen[t.owner] {
			seen[t.owner] = true
			out = append(out, t.owner)
		}
	}
	sort.Strings(out)
	return out
}
