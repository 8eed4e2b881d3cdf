package pool

import (
	"time"

	"github.com/hearth-run/hearth/internal/activity"
)

// Release returns an environment after its request. A healthy one becomes
// idle (and is frozen); an unhealthy one — timed out, crashed, out of
// memory — is destroyed.
func (p *Pool) Release(env *Environment, healthy bool) {
	p.mu.Lock()
	vp := p.versions[env.Key]
	if !env.Provisioned {
		p.uncountActiveLocked(env)
	}
	if !healthy || p.closed || vp == nil || vp.all[env.ID] == nil {
		p.mu.Unlock()
		p.discard(env, ReasonFailure)
		return
	}
	if env.Revision != vp.revision || env.Provisioned && p.surplusLocked(env) {
		p.mu.Unlock()
		p.discard(env, ReasonUpdate)
		return
	}
	env.mu.Lock()
	err := env.setState(Idle)
	env.lastUsed = time.Now()
	env.invocations++
	if err == nil {
		env.scheduleFreeze(p.opts.FreezeDelay)
	}
	env.mu.Unlock()
	if err != nil {
		p.mu.Unlock()
		p.discard(env, ReasonFailure)
		return
	}
	vp.idle = append(vp.idle, env)
	p.mu.Unlock()
}

// FunctionChanged retires the idle environments of every version of the
// function whose revision is outdated; busy ones finish their request first
// (Acquire and Release see the new revision). Called after an update or a
// delete.
func (p *Pool) FunctionChanged(function string, current map[string]string) {
	var stop []*Environment
	p.mu.Lock()
	for key, vp := range p.versions {
		fn, version := splitKey(key)
		if fn != function {
			continue
		}
		rev, ok := current[version]
		if !ok {
			rev = "\x00deleted"
		}
		vp.revision = rev
		stop = append(stop, p.retireStaleLocked(vp, rev)...)
	}
	p.mu.Unlock()
	p.stopAll(stop)
}

// retireStaleLocked removes idle environments of other revisions from vp
// and returns them to be stopped.
func (p *Pool) retireStaleLocked(vp *versionPool, revision string) []*Environment {
	var stale []*Environment
	keep := vp.idle[:0]
	for _, env := range vp.idle {
		if env.Revision != revision && !env.Provisioned {
			env.ending(activity.StopUpdate)
			stale = append(stale, env)
			delete(vp.all, env.ID)
			continue
		}
		keep = append(keep, env)
	}
	vp.idle = keep
	if len(stale) > 0 {
		vp.lastLoss = ReasonUpdate
	}
	return stale
}

func (p *Pool) version(key string) *versionPool {
	vp := p.versions[key]
	if vp == nil {
		vp = &versionPool{all: map[string]*Environment{}}
		p.versions[key] = vp
	}
	return vp
}

// popIdle takes the most recently used idle environment that is, or is
// not, provisioned.
func (vp *versionPool) popIdle(provisioned bool) *Environment {
	for i := len(vp.idle) - 1; i >= 0; i-- {
		if env := vp.idle[i]; env.Provisioned == provisioned {
			vp.idle = append(vp.idle[:i], vp.idle[i+1:]...)
			return env
		}
	}
	return nil
}

// discard removes env from the pool and stops it. A provisioned
// environment that had finished Init is replaced while its target still
// wants it.
func (p *Pool) discard(env *Environment, reason string) {
	env.ending(stopReason(reason))
	p.mu.Lock()
	if vp := p.versions[env.Key]; vp != nil && vp.all[env.ID] != nil {
		delete(vp.all, env.ID)
		for i, e := range vp.idle {
			if e == env {
				vp.idle = append(vp.idle[:i], vp.idle[i+1:]...)
				break
			}
		}
		if !env.Provisioned {
			vp.lastLoss = reason
		}
	}
	if env.Provisioned {
		p.dropProvisionedLocked(env)
	}
	p.mu.Unlock()
	p.stop(env)
}

func (p *Pool) stopAll(envs []*Environment) {
	for _, env := range envs {
		p.stop(env)
	}
}

// stop shuts an environment down: SIGTERM, SIGKILL after the grace period.
func (p *Pool) stop(env *Environment) {
	env.mu.Lock()
	if env.state == Stopping || env.state == Stopped {
		env.mu.Unlock()
		return
	}
	_ = env.setState(Stopping)
	reason := env.endReason
	if env.freezeTimer != nil {
		env.freezeTimer.Stop()
	}
	env.frozen = false
	env.mu.Unlock()
	if env.rapi != nil {
		_ = env.rapi.Close()
	}
	if env.proc != nil {
		env.proc.Stop(p.opts.StopGrace) // thaws a frozen tree before signalling
	}
	if env.cancel != nil {
		env.cancel()
	}
	if env.stream != nil {
		_ = env.stream.Close()
	}
	env.mu.Lock()
	_ = env.setState(Stopped)
	env.mu.Unlock()
	env.publishStop(reason)
	p.log.Debug("environment stopped", "function", env.Function, "version", env.Version, "env", env.ID)
}
