package sandbox

import (
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Spec describes one environment to start.
type Spec struct {
	// ID is the environment's unique id; it names its cgroup.
	ID string
	// CodeDir is the host directory with the unpacked code, read-only at
	// /var/task when isolated. With a RootFS it may be empty: the image's
	// own /var/task stays.
	CodeDir string
	// RuntimeDir optionally holds Hearth's managed-runtime bootstraps,
	// read-only at /var/runtime when isolated.
	RuntimeDir string
	// OptDir optionally holds the function's layers merged into one tree,
	// read-only at /opt when isolated; "" means no layers: /opt is an empty
	// directory (so there is no /opt/extensions either). Plain environments
	// see the host directory itself (see Manager.OptView): its extensions/
	// is what an isolated environment sees as /opt/extensions.
	OptDir string
	// Path is the program to execute, as the bootstrap sees it (see
	// Manager.View), e.g. /var/task/bootstrap or /usr/bin/python3.
	Path string
	// Args are argv[1:].
	Args []string
	// Env is the complete environment; Start adds AWS_LAMBDA_RUNTIME_API.
	Env []string
	// MemoryMB is the memory limit (swap off); exceeding it OOM-kills.
	// Default 128.
	MemoryMB int
	// EphemeralMB is the size of the writable /tmp. Default 512.
	EphemeralMB int
	// Network is "nat" ("host" is a synonym) or "none"; "" means the
	// Manager's default.
	Network string
	// Binds are absolute host directories made visible read-only at the
	// same path when isolated (interpreters installed outside the system
	// directories). Plain environments see the host anyway.
	Binds []string
	// RootFS, when set, is an unpacked image (a runtime image) that is the
	// environment's root filesystem, read-only, instead of the host's
	// system directories. It must hold the mount points proc, dev, tmp,
	// var/task, var/runtime and opt. Isolated environments only.
	RootFS string
	// WorkDir is the bootstrap's working directory when isolated. Default
	// /var/task.
	WorkDir string
	// Output receives stdout and stderr of the whole tree through one pipe,
	// so it sees one write at a time. Default: discarded.
	Output io.Writer
	// Prestart, when set, lets a pre-started interpreter serve this spec
	// (isolated, with Options.Interpreters > 0); nil always starts Path
	// the ordinary way.
	Prestart *Prestart
}

// Process is one running environment: the bootstrap and everything it starts.
type Process struct {
	m    *Manager
	id   string
	cmd  *exec.Cmd
	pid  int
	ln   net.Listener
	addr string
	net  *envNet // isolated: owns ln and the environment's link
	// scratch is the disk of /tmp, held until the environment ends so
	// that it can be recycled; nil when /tmp is a tmpfs or not isolated.
	scratch *scratch
	uid     *uidLease
	cg      *cgroup // nil in plain mode
	// record is the plain-mode file naming the process group, for cleanup
	// after a crash of Hearth.
	record string
	// prestarted: the bootstrap was a pre-started interpreter, handed its
	// function at Start.
	prestarted bool

	outDone chan struct{} // closed when the output copier has finished
	outR    *os.File      // read end of the output pipe; nil when none
	// outRead and outWritten count the bytes the copier has taken from the
	// pipe and handed to the Output writer; SyncOutput compares them.
	outRead, outWritten atomic.Int64
	// outSeq is odd while the copier is inside a read of the pipe (see
	// copyOutput).
	outSeq atomic.Uint64

	done     chan struct{} // closed after exitErr, oom and peak are set
	exitErr  error
	stopOnce sync.Once

	mu     sync.Mutex // guards frozen, stopped, cgFrozen, oom, the peak fields and tree
	frozen bool
	// stopped and cgFrozen say how an isolated environment was frozen: its
	// bootstrap stopped with SIGSTOP, its cgroup frozen, or both.
	stopped, cgFrozen bool
	oom               bool
	peak              uint64
	// cgPeak is the cgroup's peak when the processes' peaks were last
	// read, peakCalls the number of MaxMemoryBytes calls (see there).
	cgPeak, peakCalls uint64
	// tree says the last freeze found more than the bootstrap in the
	// cgroup (stopAlone).
	tree   bool
	status keptFile // plain: /proc/PID/status, for the peak
}

// Pid is the host PID of the bootstrap (the PID 1 of its namespace when
// isolated).
func (p *Process) Pid() int { return p.pid }

// Prestarted reports whether the environment's interpreter was started
// ahead of its cold start and handed the function (see Prestart).
func (p *Process) Prestarted() bool { return p.prestarted }

// RuntimeAPI returns the listener on which Hearth serves this environment's
// Runtime API and the address the bootstrap finds in AWS_LAMBDA_RUNTIME_API.
// Stop closes the listener.
func (p *Process) RuntimeAPI() (ln net.Listener, addr string) { return p.ln, p.addr }

// UID is the uid the bootstrap runs as; -1 in plain mode.
func (p *Process) UID() int {
	if p.uid == nil {
		return -1
	}
	return p.uid.uid
}

// Done is closed when the bootstrap process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// ExitError is, after Done, nil for a zero exit status or the exec error
// ("exit status N", "signal: killed").
func (p *Process) ExitError() error {
	select {
	case <-p.done:
		return p.exitErr
	default:
		return nil
	}
}

// OOMKilled reports whether the environment hit its memory limit and the
// kernel killed a process of it. Always false in plain mode.
func (p *Process) OOMKilled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.oom && p.cg != nil {
		p.oom = p.cg.oomKilled()
	}
	return p.oom
}

// MaxMemoryBytes is the peak memory of the environment: when isolated, the
// larger of the cgroup's peak and the sum of its processes' peak resident
// sets; in plain mode the bootstrap's peak resident set.
func (p *Process) MaxMemoryBytes() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var now uint64
	if p.cg != nil {
		// What Lambda reports is the environment's peak resident memory.
		// The cgroup's peak leaves out pages charged elsewhere (an
		// interpreter's shared file pages), so the processes' own peaks
		// count too. Reading them (/proc/PID/status, ~10–20 µs each) is
		// worth it only when memory grew: a process's anonymous memory is
		// charged to the cgroup, so a peak that did not move means no new
		// high, short of file pages first mapped meanwhile, which every
		// rssEvery-th call still catches.
		cgPeak := p.cg.peak()
		p.peakCalls++
		now = cgPeak
		if cgPeak != p.cgPeak || p.peakCalls%rssEvery == 1 {
			p.cgPeak = cgPeak
			now = max(now, p.treeHWM())
		}
	} else {
		now = p.bootstrapHWM()
	}
	p.peak = max(p.peak, now)
	return p.peak
}

// rssEvery is how often MaxMemoryBytes reads the processes' peaks although
// the cgroup's did not move.
const rssEvery = 64

// treeHWM sums the peak resident sets of the cgroup's processes. p.mu must
// be held.
func (p *Process) treeHWM() uint64 {
	var rss uint64
	for _, pid := range p.cg.pids() {
		if pid == p.pid {
			rss += p.bootstrapHWM()
		} else {
			rss += vmHWM(pid)
		}
	}
	return rss
}

// bootstrapHWM is the bootstrap's peak resident set in bytes, read from its
// /proc status file kept open. p.mu must be held.
func (p *Process) bootstrapHWM() uint64 {
	if p.status.path == "" {
		p.status.path = "/proc/" + strconv.Itoa(p.pid) + "/status"
	}
	return p.status.statusKB("VmHWM:") * 1024
}

// Stop ends the environment: SIGTERM to the tree, SIGKILL after grace, wait
// for the bootstrap, then remove the cgroup and close the Runtime API
// listener. A grace of zero or less sends SIGKILL alone, as Lambda stops a
// runtime without extensions. It is safe to call more than once and
// concurrently; every call returns after the cleanup.
func (p *Process) Stop(grace time.Duration) {
	p.stopOnce.Do(func() {
		select {
		case <-p.done:
		default:
			if grace > 0 {
				p.terminate()
				t := time.NewTimer(grace)
				select {
				case <-p.done:
				case <-t.C:
				}
				t.Stop()
			}
			p.kill()
		}
		<-p.done
		p.cleanup()
	})
}

// terminate sends SIGTERM to the tree, resuming it first so the signal is
// seen at once.
func (p *Process) terminate() {
	p.mu.Lock()
	if p.frozen {
		_ = p.thawLocked()
	}
	p.mu.Unlock()
	if p.cg == nil {
		_ = syscall.Kill(-p.pid, syscall.SIGTERM)
		return
	}
	for _, pid := range p.cg.pids() {
		if pid != p.pid {
			_ = signalMember(p.cg, pid, syscall.SIGTERM)
		}
	}
	// The kernel drops signals a namespace's PID 1 does not handle; an
	// ordinary process would have died of SIGTERM, so do that instead.
	if handlesSignal(p.pid, syscall.SIGTERM) {
		_ = p.signal(syscall.SIGTERM)
	} else {
		_ = p.signal(syscall.SIGKILL)
	}
}

// kill sends SIGKILL to the whole tree. Killing an isolated PID 1 makes the
// kernel kill the rest of its namespace.
func (p *Process) kill() {
	if p.cg == nil {
		_ = syscall.Kill(-p.pid, syscall.SIGKILL)
		return
	}
	_ = p.signal(syscall.SIGKILL)
	p.mu.Lock()
	if p.frozen {
		_ = p.thawLocked() // frozen tasks do not die until thawed
	}
	p.mu.Unlock()
}

// wait reaps the bootstrap and records how it ended. Owned by Start; it
// ends when the bootstrap exits.
func (p *Process) wait() {
	err := p.cmd.Wait()
	p.m.spawned.forget(p.pid)
	p.mu.Lock()
	if p.cg != nil {
		p.oom = p.oom || p.cg.oomKilled()
		p.peak = max(p.peak, p.cg.peak())
	} else if st := p.cmd.ProcessState; st != nil {
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
			p.peak = max(p.peak, uint64(ru.Maxrss)*1024)
		}
	}
	p.mu.Unlock()
	p.exitErr = err
	close(p.done)
}

// cleanup runs once the bootstrap is gone.
func (p *Process) cleanup() {
	if p.cg == nil {
		_ = syscall.Kill(-p.pid, syscall.SIGKILL) // stragglers of the group
	} else {
		p.emptyCgroup()
		p.mu.Lock()
		p.oom = p.oom || p.cg.oomKilled()
		p.peak = max(p.peak, p.cg.peak())
		p.mu.Unlock()
		if err := p.cg.remove(); err != nil {
			p.m.log.Warn("sandbox: cgroup not removed", "env", p.id, "err", err)
		}
		p.uid.release() // no process of the environment is left
	}
	if p.record != "" {
		_ = os.Remove(p.record)
	}
	p.mu.Lock()
	p.status.close()
	p.mu.Unlock()
	_ = p.ln.Close() // at once, as documented; a recycled namespace gets a new one
	if p.net != nil {
		p.net.ln = nil
		p.m.recycle(p.net, p.scratch) // no process of the environment is left
	}
	if p.outR != nil {
		// Everything that could write is dead; a writer that escaped the
		// process group could hold the pipe, so do not wait for ever.
		select {
		case <-p.outDone:
		case <-time.After(200 * time.Millisecond):
			_ = p.outR.Close()
			<-p.outDone
		}
	}
	p.m.forget(p)
}

// emptyCgroup kills whatever is still in the cgroup. With a PID namespace
// the kernel has already done so; this covers a cgroup whose PID 1 never
// ran.
func (p *Process) emptyCgroup() {
	for i := 0; i < 500; i++ {
		pids := p.cg.pids()
		if len(pids) == 0 {
			return
		}
		if i == 0 {
			_ = p.cg.freeze(false)
		}
		for _, pid := range pids {
			_ = signalMember(p.cg, pid, syscall.SIGKILL)
		}
		time.Sleep(time.Millisecond)
	}
}
