package sandbox

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
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
	uid  *uidLease
	cg   *cgroup // nil in plain mode
	// record is the plain-mode file naming the process group, for cleanup
	// after a crash of Hearth.
	record string

	outDone chan struct{} // closed when the output copier has finished
	outR    *os.File      // read end of the output pipe; nil when none
	// outRead and outWritten count the bytes the copier has taken from the
	// pipe and handed to the Output writer; SyncOutput compares them.
	outRead, outWritten atomic.Int64

	done     chan struct{} // closed after exitErr, oom and peak are set
	exitErr  error
	stopOnce sync.Once

	mu     sync.Mutex // guards frozen, stopped, cgFrozen, oom and peak
	frozen bool
	// stopped and cgFrozen say how an isolated environment was frozen: its
	// bootstrap stopped with SIGSTOP, its cgroup frozen, or both.
	stopped, cgFrozen bool
	oom               bool
	peak              uint64
	status            keptFile // plain: /proc/PID/status, for the peak
}

// Pid is the host PID of the bootstrap (the PID 1 of its namespace when
// isolated).
func (p *Process) Pid() int { return p.pid }

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
		// count too.
		var rss uint64
		for _, pid := range p.cg.pids() {
			if pid == p.pid {
				rss += p.bootstrapHWM()
			} else {
				rss += vmHWM(pid)
			}
		}
		now = max(p.cg.peak(), rss)
	} else {
		now = p.bootstrapHWM()
	}
	p.peak = max(p.peak, now)
	return p.peak
}

// bootstrapHWM is the bootstrap's peak resident set in bytes, read from its
// /proc status file kept open. p.mu must be held.
func (p *Process) bootstrapHWM() uint64 {
	if p.status.path == "" {
		p.status.path = "/proc/" + strconv.Itoa(p.pid) + "/status"
	}
	return p.status.statusKB("VmHWM:") * 1024
}

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
// freezes the cgroup too.
func (p *Process) stopAlone() bool {
	if !p.cg.onlyPid(p.pid) {
		return false
	}
	if p.signal(syscall.SIGSTOP) != nil {
		return false
	}
	p.stopped = true
	return p.cg.onlyPid(p.pid)
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
	if p.net != nil {
		p.net.close()
	} else {
		_ = p.ln.Close()
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

// setOutput points the child's stdout and stderr at one pipe (or at w
// itself when it is a file) and returns the end to close after the start.
func (p *Process) setOutput(cmd *exec.Cmd, w io.Writer) (childEnd *os.File, err error) {
	p.outDone = make(chan struct{})
	if f, ok := w.(*os.File); ok {
		cmd.Stdout, cmd.Stderr = f, f
		close(p.outDone)
		return nil, nil
	}
	r, wr, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("output pipe: %w", err)
	}
	cmd.Stdout, cmd.Stderr = wr, wr
	p.outR = r
	return wr, nil
}

// copyOutput forwards the output pipe to w. Owned by the Process; it ends
// when the last writer is gone or cleanup closes the pipe.
func (p *Process) copyOutput(w io.Writer) {
	defer close(p.outDone)
	buf := make([]byte, 32<<10)
	for {
		n, err := p.outR.Read(buf)
		if n > 0 {
			p.outRead.Add(int64(n))
			_, _ = w.Write(buf[:n])
			p.outWritten.Add(int64(n))
		}
		if err != nil {
			return
		}
	}
}

// SyncOutput waits, at most max, until everything the tree has written to
// its stdout and stderr so far has reached the Output writer. Hearth calls
// it at the end of an invocation so that a function's last log lines come
// before the END and REPORT lines, as on Lambda.
func (p *Process) SyncOutput(max time.Duration) {
	if p.outR == nil {
		return
	}
	deadline := time.Now().Add(max)
	quiet := 0
	for quiet < 2 && time.Now().Before(deadline) {
		select {
		case <-p.outDone:
			return
		default:
		}
		if p.pipeEmpty() && p.outRead.Load() == p.outWritten.Load() {
			// Seen twice in a row: a Read that returned just before the
			// first look has had time to count its bytes.
			quiet++
			if quiet < 2 {
				runtime.Gosched()
			}
			continue
		}
		quiet = 0
		time.Sleep(20 * time.Microsecond)
	}
}

// pipeEmpty reports whether the output pipe holds no unread bytes.
func (p *Process) pipeEmpty() bool {
	rc, err := p.outR.SyscallConn()
	if err != nil {
		return true
	}
	n := 0
	_ = rc.Control(func(fd uintptr) {
		n, err = unix.IoctlGetInt(int(fd), unix.TIOCINQ)
	})
	return err != nil || n == 0
}
