package sandbox

import (
	"fmt"
	"syscall"
	"time"
)

// Freeze stops every process of the environment. It returns as soon as the
// kernel has the request, without waiting for the last task to stop (that
// wait would cost CPU on every invocation); WaitFrozen waits.
//
// Isolated, an environment that is a single process — the bootstrap alone,
// as Go, Python and Node runtimes are — is stopped with SIGSTOP, which costs
// microseconds where a cgroup v1 freezer round trip costs hundreds; the
// cgroup's task list, read again once the process is stopped (a stopped
// process cannot fork), proves nothing escaped. A tree of several processes
// goes through the cgroup freezer. Plain environments get SIGSTOP to their
// process group.
func (p *Process) Freeze() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var err error
	switch {
	case p.cg == nil:
		err = stopGroup(p.pid)
	case p.stopAlone():
		p.stopped = true
	default:
		err = p.cg.freeze(true)
		p.cgFrozen = err == nil
	}
	if err != nil {
		return fmt.Errorf("freeze environment %s: %w", p.id, err)
	}
	p.frozen = true
	return nil
}

// stopAlone stops the bootstrap with SIGSTOP when it is the cgroup's only
// process, and reports whether that froze the whole environment. When a
// child turns up, the bootstrap stays stopped (p.stopped) and the caller
// freezes the cgroup too. The task list is read before the signal only
// when the last freeze found a tree: for a bootstrap alone, as it almost
// always is, one read after the stop proves it.
func (p *Process) stopAlone() bool {
	if p.tree && !p.cg.onlyPid(p.pid) {
		return false
	}
	if p.signal(syscall.SIGSTOP) != nil {
		return false
	}
	p.stopped = true
	alone := p.cg.onlyPid(p.pid)
	p.tree = !alone
	return alone
}

// WaitFrozen waits, at most timeout, until a Freeze has taken effect: every
// task of the environment is stopped.
func (p *Process) WaitFrozen(timeout time.Duration) error {
	p.mu.Lock()
	cgFrozen := p.cgFrozen
	p.mu.Unlock()
	if cgFrozen {
		return p.cg.waitFrozen(timeout)
	}
	return waitStopped(p.pid, timeout)
}

// Thaw resumes a frozen environment.
func (p *Process) Thaw() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.thawLocked(); err != nil {
		return fmt.Errorf("thaw environment %s: %w", p.id, err)
	}
	return nil
}

func (p *Process) thawLocked() error {
	var err error
	if p.cg == nil {
		err = syscall.Kill(-p.pid, syscall.SIGCONT)
	} else {
		if p.cgFrozen {
			err = p.cg.freeze(false)
		}
		if p.stopped && err == nil {
			err = p.signal(syscall.SIGCONT)
		}
	}
	if err == syscall.ESRCH {
		err = nil
	}
	if err == nil {
		p.frozen, p.stopped, p.cgFrozen = false, false, false
	}
	return err
}
