package pool

import (
	"github.com/hearth-run/hearth/internal/activity"
	"github.com/hearth-run/hearth/internal/runtimeapi"
)

// Release returns an environment after its request. A healthy one becomes
// idle (and is frozen); an unhealthy one — timed out, crashed, out of
// memory — is destroyed, in the background.
//
// Without a freeze delay the environment is frozen by the caller, once the
// pool's lock is released, rather than from a timer's goroutine: one
// goroutine hand-off less on every invocation. When a request is waiting
// for it, it is handed over instead, not frozen (handoff.go).
func (p *Pool) Release(env *Environment, healthy bool) {
	if p.release(env, healthy) {
		env.freeze()
	}
}

// release is Release up to the freeze; it reports whether the caller
// freezes env now.
func (p *Pool) release(env *Environment, healthy bool) (freezeNow bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	vp := p.versions[env.Key]
	p.unrespondLocked(env)
	p.uncountActiveLocked(env)
	if !healthy || p.closed || vp == nil || vp.all[env.ID] == nil || env.exited() {
		p.discardLocked(env, ReasonFailure)
		return false
	}
	if env.Revision != vp.revision || env.Provisioned && p.surplusLocked(env) {
		p.discardLocked(env, ReasonUpdate)
		return false
	}
	env.mu.Lock()
	err := env.setState(Idle)
	env.lastUsed = p.opts.Now()
	env.invocations++
	if err == nil && p.opts.FreezeDelay > 0 {
		env.scheduleFreeze(p.opts.FreezeDelay)
	}
	env.mu.Unlock()
	if err != nil {
		p.discardLocked(env, ReasonFailure)
		return false
	}
	vp.idle = append(vp.idle, env)
	if p.opts.FreezeDelay > 0 {
		return false
	}
	if vp.waiting > 0 {
		env.handoff = true
		return false
	}
	return true
}

// FunctionChanged retires the idle environments of every version of the
// function whose revision is outdated; busy ones finish their request first
// (Acquire and Release see the new revision). Called after an update or a
// delete. The retired environments stop in the background.
func (p *Pool) FunctionChanged(function string, current map[string]string) {
	p.mu.Lock()
	defer p.mu.Unlock()
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
		p.retireLocked(p.retireStaleLocked(vp, rev))
		if !ok && len(vp.all) == 0 {
			delete(p.versions, key)
		}
	}
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

// discard removes env from the pool and stops it in the background. A
// provisioned environment that had finished Init is replaced while its
// target still wants it.
func (p *Pool) discard(env *Environment, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.discardLocked(env, reason)
}

// discardLocked is discard with p.mu held.
func (p *Pool) discardLocked(env *Environment, reason string) {
	env.ending(stopReason(reason))
	p.unrespondLocked(env)
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
	p.uncountActiveLocked(env)
	if env.Provisioned {
		p.dropProvisionedLocked(env)
	}
	p.retireLocked([]*Environment{env})
}

// retireLocked stops environments already removed from the pool, in the
// background and at most MaxParallelStops at a time, so that no request
// or API call waits for a stop's grace period. Close waits for them.
func (p *Pool) retireLocked(envs []*Environment) {
	for _, env := range envs {
		if !env.markStopping() {
			continue
		}
		p.stops.Add(1)
		go func() {
			defer p.stops.Done()
			p.stopSlots <- struct{}{}
			defer func() { <-p.stopSlots }()
			p.finishStop(env)
		}()
	}
}

// stop shuts an environment down now: SIGTERM, SIGKILL after the grace
// period. A second stop of the same environment returns at once.
func (p *Pool) stop(env *Environment) {
	if env.markStopping() {
		p.finishStop(env)
	}
}

// markStopping moves the environment to Stopping, unless it is already
// stopping, and reports whether it did. A Starting environment without a
// process yet is stopped by attach when its process arrives. The stop is
// published here, when the environment leaves service, so that it is
// told in order with the invocation that ended it.
func (env *Environment) markStopping() bool {
	env.mu.Lock()
	if env.state == Stopping || env.state == Stopped {
		env.mu.Unlock()
		return false
	}
	_ = env.setState(Stopping)
	if env.freezeTimer != nil {
		env.freezeTimer.Stop()
	}
	reason := env.endReason
	env.mu.Unlock()
	env.publishStop(reason)
	return true
}

// finishStop releases a Stopping environment's resources.
func (p *Pool) finishStop(env *Environment) {
	env.mu.Lock()
	proc, rapi, cancel, stream := env.proc, env.rapi, env.cancel, env.stream
	env.frozen = false
	reason := runtimeapi.ShutdownSpindown
	if env.endReason == activity.StopFailure {
		reason = runtimeapi.ShutdownFailure
	}
	env.mu.Unlock()
	if proc != nil {
		p.shutdown(proc, rapi, reason)
	}
	if rapi != nil {
		// Only now that the process is gone: a runtime must never find its
		// Runtime API closed and write errors into the log.
		_ = rapi.Close()
	}
	if cancel != nil {
		cancel()
	}
	if stream != nil {
		_ = stream.Close()
	}
	env.mu.Lock()
	_ = env.setState(Stopped)
	env.mu.Unlock()
	p.log.Debug("environment stopped", "function", env.Function, "version", env.Version, "env", env.ID)
}
