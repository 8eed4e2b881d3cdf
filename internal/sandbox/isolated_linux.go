package sandbox

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"github.com/hearth-run/hearth/internal/sandboxinit"
	"golang.org/x/sys/unix"
)

// initEnviron is the environment of every init: the protocol it must speak
// and a Go runtime that neither spreads over threads nor collects garbage
// during the init's short life.
var initEnviron = []string{sandboxinit.EnvName + "=" + sandboxinit.Protocol, "GOMAXPROCS=1", "GOGC=off"}

// pending is an init that has built the generic part of a root and waits
// for its environment's configuration.
type pending struct {
	m       *Manager
	cmd     *exec.Cmd
	cg      *cgroup
	network string
	cfgW    *os.File  // config socket to the init
	statusR *os.File  // status pipe from the init
	outR    *os.File  // stdout and stderr of the tree
	net     *envNet   // the init's network namespace, listener and link
	scratch *scratch  // the disk of /tmp; nil when /tmp is a tmpfs or the Process has it
	uid     *uidLease // the uid the bootstrap will run as
	ready   bool      // the init reported its shared root mounted
}

// waitReady waits until the init is prepared, or returns why it failed.
func (pd *pending) waitReady() error {
	if pd.ready {
		return nil
	}
	var b [1]byte
	n, _ := pd.statusR.Read(b[:])
	if n == 1 && b[0] == sandboxinit.Ready {
		pd.ready = true
		return nil
	}
	msg, _ := io.ReadAll(pd.statusR)
	return fmt.Errorf("%w: %s%s", ErrInit, b[:n], msg)
}

// close releases a pending init that will not be used.
func (pd *pending) close() {
	if pd.cmd != nil {
		_ = pd.cmd.Process.Kill()
		_ = pd.cmd.Wait()
		pd.m.spawned.forget(pd.cmd.Process.Pid)
	}
	for _, f := range []*os.File{pd.cfgW, pd.statusR, pd.outR} {
		if f != nil {
			_ = f.Close()
		}
	}
	pd.m.recycle(pd.net, pd.scratch) // the init is gone: reuse them
	pd.uid.release()
	_ = pd.cg.remove()
}

// spawnInit clones a new init into fresh namespaces and a placeholder
// cgroup, with its /tmp disk, its network and its uid; the network
// namespace and the disk are spares when there are some. It runs ahead of
// Start for kept inits (the default network and /tmp size), or inside
// Start otherwise.
func (m *Manager) spawnInit(network string, tmpMB int) (_ *pending, err error) {
	cg, err := m.cg.create("init-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(m.seq.Add(1), 10))
	if err != nil {
		return nil, err
	}
	pd := &pending{m: m, cg: cg, network: network}
	defer func() {
		if err != nil {
			pd.close()
		}
	}()
	if err := cg.presetLimits(); err != nil {
		return nil, err
	}
	prep := sandboxinit.Prep{Root: m.rootDir, TmpMB: tmpMB}
	if m.mke2fs != "" {
		if pd.scratch = m.takeDisk(tmpMB); pd.scratch == nil {
			if pd.scratch, err = m.newScratch(tmpMB); err != nil {
				return nil, err
			}
		}
		prep.TmpDev = pd.scratch.dev
	}
	if pd.net = m.takeNet(network); pd.net == nil {
		if pd.net, err = m.newNet(network); err != nil {
			return nil, err
		}
	}
	prep.Hosts = pd.net.hosts()
	if err := m.startInit(pd, prep); err != nil {
		return nil, err
	}
	if pd.uid, err = m.uids.acquire(); err != nil {
		return nil, err
	}
	return pd, nil
}

// startInit starts the init process of pd with its pipes, cloned into
// its namespaces and cgroup.
func (m *Manager) startInit(pd *pending, prep sandboxinit.Prep) (err error) {
	var cfgR, statusW, outW *os.File
	var childEnds []*os.File // closed in any case once the child has them
	defer func() {
		for _, f := range append(childEnds, cfgR, statusW, outW) {
			if f != nil {
				_ = f.Close()
			}
		}
	}()
	if cfgR, pd.cfgW, err = socketPair(); err != nil {
		return err
	}
	for _, pp := range []struct{ r, w **os.File }{{&pd.statusR, &statusW}, {&pd.outR, &outW}} {
		if *pp.r, *pp.w, err = os.Pipe(); err != nil {
			return fmt.Errorf("pipe: %w", err)
		}
	}
	// No CLONE_NEWNET: the init is born in pd.net's namespace, from a
	// thread that has joined it.
	attr := &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS,
		Pdeathsig:  syscall.SIGKILL,
	}
	extra := []*os.File{cfgR, statusW}
	if m.cg.v2 {
		dir, err := os.Open(pd.cg.dirs[""])
		if err != nil {
			return fmt.Errorf("open cgroup: %w", err)
		}
		defer dir.Close()
		attr.UseCgroupFD, attr.CgroupFD = true, int(dir.Fd())
	} else {
		// Open files, not paths: a kept init's cgroup is renamed when its
		// environment is known, maybe before the init has joined it.
		for _, path := range pd.cg.procsFiles() {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return fmt.Errorf("open cgroup: %w", err)
			}
			childEnds = append(childEnds, f)
			prep.CgroupFds = append(prep.CgroupFds, 3+len(extra))
			extra = append(extra, f)
		}
	}
	cmd := &exec.Cmd{
		Path:        m.opts.InitPath,
		Args:        prep.Args(),
		Env:         initEnviron,
		Stdout:      outW,
		Stderr:      outW,
		ExtraFiles:  extra,
		SysProcAttr: attr,
	}
	if err := m.startInitCmd(cmd, int(pd.net.ns.Fd())); err != nil {
		return fmt.Errorf("%w: %w", ErrInit, err)
	}
	pd.cmd = cmd
	return nil
}

// launch hands an init its environment and waits until it has executed
// the bootstrap; begin is when the Start began (monotonic()).
func (m *Manager) launch(pd *pending, spec Spec, begin int64) (_ *Process, err error) {
	var st startTimes
	st.at[phaseBegin] = begin
	p := &Process{m: m, id: spec.ID, cg: pd.cg, cmd: pd.cmd, pid: pd.cmd.Process.Pid, done: make(chan struct{})}
	defer func() {
		if err != nil {
			pd.close()
		}
	}()
	lim := m.limitsOf(spec)
	p.ln, p.addr = pd.net.ln, runtimeAPIAddr
	p.uid, pd.uid = pd.uid, nil // the Process owns the lease from here
	defer func() {
		if err != nil {
			p.uid.release()
		}
	}()
	if err := m.handOver(pd, spec, p, lim, &st); err != nil {
		return nil, err
	}
	defer m.logStart(spec.ID, &st)
	p.net = pd.net
	pd.cg.resetPeak()
	if err := pd.cg.applyCPU(lim); err != nil {
		return nil, err
	}
	p.scratch, pd.scratch = pd.scratch, nil // recycled when the environment ends
	p.outR, p.outDone = pd.outR, make(chan struct{})
	go p.copyOutput(spec.Output)
	go p.wait()
	return p, nil
}

// handOver gives the init of pd its environment — the function's trees,
// the memory limit, the Config — and waits until it has executed the
// bootstrap, noting the moments in st.
//
// The limits were preset at spawn for Lambda's default size; another
// memory size is set before the init hears of its environment, so that
// the limits hold from the bootstrap's first instruction, and the init
// wakes once: with its Config and trees, and the end of the socket behind
// them. On failure the caller kills the init (or the bootstrap it became).
func (m *Manager) handOver(pd *pending, spec Spec, p *Process, lim limits, st *startTimes) error {
	st.at[phaseInit] = monotonic()
	t, err := openTrees(spec.RootFS, spec.CodeDir, spec.RuntimeDir, spec.OptDir, spec.Binds)
	if err != nil {
		return err
	}
	st.at[phaseTrees] = monotonic()
	if err := pd.cg.limitMemory(presetMemory, lim.memoryBytes); err != nil {
		t.close()
		return err
	}
	if pd.net.link != nil {
		// What the link has carried before the bootstrap can run: the
		// environment's own traffic is counted from here (recycling).
		pd.net.rx = pd.net.link.rxPackets()
	}
	st.at[phaseLimits] = monotonic()
	werr := sendConfig(pd.cfgW, m.initConfig(spec, p), t)
	_ = pd.cfgW.Close()
	pd.cfgW = nil
	// Named for its environment while the init finishes.
	if err := pd.cg.rename(spec.ID); err != nil {
		return err
	}
	if err := pd.waitReady(); err != nil {
		return err
	}
	// Then EOF means the status pipe was closed by a successful execve.
	raw, _ := io.ReadAll(pd.statusR)
	_ = pd.statusR.Close()
	st.at[phaseSeen] = monotonic()
	stamps, msg := sandboxinit.ParseStamps(raw)
	if len(msg) > 0 {
		return fmt.Errorf("%w: %s", ErrInit, msg)
	}
	if werr != nil {
		return fmt.Errorf("%w: send config: %w", ErrInit, werr)
	}
	st.at[phaseConfig], st.at[phaseRoot], st.at[phaseExec] = stamps[sandboxinit.StampConfig], stamps[sandboxinit.StampRoot], stamps[sandboxinit.StampExec]
	return nil
}

// initConfig is what an init needs to start spec as p, but its trees.
func (m *Manager) initConfig(spec Spec, p *Process) *sandboxinit.Config {
	return &sandboxinit.Config{
		Path: spec.Path, Args: append([]string{spec.Path}, spec.Args...),
		Env:   withRuntimeAPI(spec.Env, p.addr),
		TmpMB: spec.EphemeralMB, UID: p.uid.uid, GID: p.uid.uid, NoFile: nofileLimit,
		WorkDir: spec.WorkDir, Seccomp: m.seccomp,
	}
}

// socketPair returns the two ends of a Unix stream socket, close-on-exec:
// the init's config socket (the child's end first).
func socketPair() (child, parent *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "init-config"), os.NewFile(uintptr(fds[1]), "init-config"), nil
}

// startIsolated starts spec in a kept init when one is ready, else in a
// new one.
func (m *Manager) startIsolated(spec Spec) (*Process, error) {
	begin := monotonic()
	if spec.Network == m.opts.Network && (m.mke2fs == "" || spec.EphemeralMB == defaultEphemeral) {
		// Taken before the keeper hears of the Start, so that it sees the
		// pool one short and refills it at once.
		select {
		case pd := <-m.kept:
			m.noteStart()
			defer m.startDone()
			return m.launch(pd, spec, begin)
		default:
			m.noteStart()
			defer m.startDone()
		}
	}
	pd, err := m.spawnInit(spec.Network, spec.EphemeralMB)
	if err != nil {
		return nil, err
	}
	return m.launch(pd, spec, begin)
}

// drainKept releases the inits kept ready; keepInits must have stopped.
func (m *Manager) drainKept() {
	for {
		select {
		case pd := <-m.kept:
			pd.close()
		default:
			return
		}
	}
}
