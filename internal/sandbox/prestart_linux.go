package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/hearth-run/hearth/internal/sandboxinit"
)

// Pre-started interpreters: a managed runtime's interpreter, started in a
// kept init (its namespaces, cgroup, uid, network and /tmp prepared) with
// Hearth's bootstrap loaded and no user code, waits on its first
// connection to the Runtime API address for the function it will serve.
// A cold start whose Spec carries a Prestart and matches one hands it the
// function: the code is mounted at /var/task and the layers at /opt from
// outside (mountns_linux.go), the cgroup gets the function's limits, and
// the bootstrap receives the function's complete environment and working
// directory on that connection, then imports the handler. One never serves
// two functions: it is taken out of the pool before its hand-off.

// Prestart marks a Spec whose program is one of Hearth's managed-runtime
// bootstraps, which can be started ahead and handed its function later.
type Prestart struct {
	// Env is the environment the interpreter starts with: the variables
	// that may shape its start-up (PATH, LANG, NODE_PATH…) with the values
	// every function of the runtime gets. The complete environment of the
	// function, Spec.Env, replaces it at the hand-off.
	Env []string
	// Runtime names the runtime (python3.12…) in Hearth's metrics; it is
	// not part of what must match.
	Runtime string
}

// prestartEnv names the variable that tells a bootstrap to wait for its
// function; the hand-off replaces the whole environment, this included.
const prestartEnv = "_HEARTH_PRESTART"

// interpIdle is how long a runtime with no cold start keeps its
// pre-started interpreter.
var interpIdle = 10 * time.Minute

// interp is one pre-started interpreter.
type interp struct {
	key  string
	pd   *pending
	conn net.Conn // the bootstrap's waiting connection
}

// handoff is what a pre-started bootstrap reads on its connection.
type handoff struct {
	Env []string `json:"env"`
	Dir string   `json:"dir"`
}

// prestartKey names the interpreters a spec can use: the same program,
// arguments, runtime files, binds and start-up environment, on the
// default network and /tmp; "" when none can serve it.
func (m *Manager) prestartKey(spec *Spec) string {
	if spec.Prestart == nil || spec.RootFS != "" || spec.Network != m.opts.Network ||
		spec.EphemeralMB != defaultEphemeral || spec.CodeDir == "" {
		return ""
	}
	h := sha256.New()
	for _, part := range [][]string{{spec.Path}, spec.Args, {spec.RuntimeDir, taskDir(spec.WorkDir)}, spec.Binds, spec.Prestart.Env} {
		for _, s := range part {
			fmt.Fprintf(h, "%d:%s;", len(s), s)
		}
		h.Write([]byte{'|'})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// Expect tells the Manager that spec will probably be started soon: its
// function was just created or changed. When a pre-started interpreter
// could serve it, the keeper starts one now if none is ready, so that the
// first cold start of a runtime finds it booted or booting. Otherwise
// Expect does nothing; it never blocks.
func (m *Manager) Expect(spec Spec) {
	if !m.isolated || m.interps == nil || spec.Prestart == nil {
		return
	}
	spec.ID = "expected"
	if m.check(&spec) != nil {
		return
	}
	if key := m.prestartKey(&spec); key != "" {
		m.interps.expect(key, spec)
	}
}

// startPrestarted hands spec to a pre-started interpreter when one fits;
// it returns nil and no error when none does, and the caller starts spec
// the ordinary way.
func (m *Manager) startPrestarted(spec Spec) (*Process, error) {
	key := m.prestartKey(&spec)
	if key == "" || m.interps == nil {
		return nil, nil
	}
	ip := m.interps.take(key, spec)
	if ip == nil {
		return nil, nil
	}
	p, err := m.adopt(ip, spec)
	if err != nil {
		// The interpreter is gone (it died, or its cgroup refused the
		// limits): the ordinary path starts the function.
		m.log.Warn("sandbox: pre-started interpreter not usable; starting the ordinary way", "env", spec.ID, "err", err)
		return nil, nil
	}
	return p, nil
}

// startInterp starts the interpreter of tmpl in a new init and waits
// until its bootstrap is loaded and waits for its function.
func (m *Manager) startInterp(key string, tmpl *Spec) (_ *interp, err error) {
	pd, err := m.spawnInit(m.opts.Network, defaultEphemeral)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			pd.close()
		}
	}()
	if err := pd.waitReady(); err != nil {
		return nil, err
	}
	env := append(slices.Clip(tmpl.Prestart.Env), prestartEnv+"=1")
	t, err := openTrees("", m.emptyDir(), tmpl.RuntimeDir, "", tmpl.Binds)
	if err != nil {
		return nil, err
	}
	cfg := sandboxinit.Config{
		Path: tmpl.Path, Args: append([]string{tmpl.Path}, tmpl.Args...),
		Env:   withRuntimeAPI(env, runtimeAPIAddr),
		TmpMB: defaultEphemeral, UID: pd.uid.uid, GID: pd.uid.uid, NoFile: nofileLimit,
		WorkDir: tmpl.WorkDir, Seccomp: m.seccomp,
	}
	if err := execInit(pd, &cfg, t); err != nil {
		return nil, err
	}
	conn, err := m.acceptWithin(pd.net.ln, initWait)
	if err != nil {
		out, _ := readAvailable(pd.outR)
		return nil, fmt.Errorf("%w: pre-started interpreter %s did not wait for its function: %w; output: %s", ErrInit, tmpl.Path, err, out)
	}
	return &interp{key: key, pd: pd, conn: conn}, nil
}

// initWait bounds a pre-started interpreter's boot.
const initWait = 10 * time.Second

// execInit sends cfg and its trees t to a ready init and waits until it
// has executed the bootstrap.
func execInit(pd *pending, cfg *sandboxinit.Config, t *trees) error {
	werr := sendConfig(pd.cfgW, cfg, t)
	_ = pd.cfgW.Close()
	pd.cfgW = nil
	raw, _ := io.ReadAll(pd.statusR)
	_ = pd.statusR.Close()
	pd.statusR = nil
	if _, msg := sandboxinit.ParseStamps(raw); len(msg) > 0 {
		return fmt.Errorf("%w: %s", ErrInit, msg)
	}
	if werr != nil {
		return fmt.Errorf("%w: send config: %w", ErrInit, werr)
	}
	return nil
}

// acceptWithin accepts one connection on ln within d; it gives up
// early when the Manager is closing.
func (m *Manager) acceptWithin(ln net.Listener, d time.Duration) (net.Conn, error) {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return nil, fmt.Errorf("listener %T", ln)
	}
	defer func() { _ = tl.SetDeadline(time.Time{}) }()
	end := time.Now().Add(d)
	for {
		next := time.Now().Add(100 * time.Millisecond)
		if next.After(end) {
			next = end
		}
		_ = tl.SetDeadline(next)
		c, err := tl.Accept()
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) || !time.Now().Before(end) {
			return c, err
		}
		select {
		case <-m.closing:
			return nil, ErrClosed
		default:
		}
	}
}

// readAvailable returns what f holds now, without waiting for more.
func readAvailable(f *os.File) ([]byte, error) {
	_ = f.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	defer func() { _ = f.SetReadDeadline(time.Time{}) }()
	buf := make([]byte, 4096)
	n, err := f.Read(buf)
	return buf[:n], err
}

// taskDir is the bootstrap's working directory: dir, or /var/task.
func taskDir(dir string) string {
	if dir == "" {
		return "/var/task"
	}
	return dir
}

// emptyDir is the empty directory a pre-started interpreter sees at
// /var/task until its function's code replaces it.
func (m *Manager) emptyDir() string {
	return filepath.Join(m.opts.StateDir, "empty")
}

// adopt hands the function of spec to ip and returns its environment's
// Process, as launch does for an ordinary start.
func (m *Manager) adopt(ip *interp, spec Spec) (_ *Process, err error) {
	pd := ip.pd
	defer func() {
		if err != nil {
			_ = ip.conn.Close()
			pd.close()
		}
	}()
	p := &Process{m: m, id: spec.ID, cg: pd.cg, cmd: pd.cmd, pid: pd.cmd.Process.Pid, done: make(chan struct{}), prestarted: true}
	lim := m.limitsOf(spec)
	if err := pd.cg.rename(spec.ID); err != nil {
		return nil, err
	}
	if err := pd.cg.limitMemory(presetMemory, lim.memoryBytes); err != nil { // the rest is preset
		return nil, err
	}
	if err := mountFunction(p.pid, spec.CodeDir, spec.OptDir); err != nil {
		return nil, err
	}
	js, err := json.Marshal(handoff{Env: withRuntimeAPI(spec.Env, runtimeAPIAddr), Dir: taskDir(spec.WorkDir)})
	if err != nil {
		return nil, err
	}
	_ = ip.conn.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := ip.conn.Write(js); err != nil {
		return nil, fmt.Errorf("%w: hand-off: %w", ErrInit, err)
	}
	_ = ip.conn.Close()
	pd.cg.resetPeak()
	if err := pd.cg.applyCPU(lim); err != nil {
		return nil, err
	}
	// Nothing fails from here: the Process takes over what pd held.
	p.ln, p.addr = pd.net.ln, runtimeAPIAddr
	p.uid, pd.uid = pd.uid, nil
	p.net = pd.net
	if pd.net.link != nil {
		pd.net.rx = pd.net.link.rxPackets()
	}
	p.scratch, pd.scratch = pd.scratch, nil // recycled when the environment ends
	p.outR, p.outDone = pd.outR, make(chan struct{})
	go p.copyOutput(spec.Output)
	go p.wait()
	return p, nil
}

// limitsOf returns the cgroup limits of spec.
func (m *Manager) limitsOf(spec Spec) limits {
	shares := max(2, 1024*spec.MemoryMB/mbPerVCPU)
	lim := limits{memoryBytes: int64(spec.MemoryMB) << 20, pids: pidsLimit, cpuShares: shares}
	if m.opts.HardCPU {
		lim.cpuQuotaUS = max(1000, int64(cfsPeriodUS)*int64(spec.MemoryMB)/mbPerVCPU)
	}
	return lim
}

// close releases an interpreter that will not be used.
func (ip *interp) close() {
	if ip.conn != nil {
		_ = ip.conn.Close()
	}
	if ip.pd != nil {
		ip.pd.close()
	}
}

// alive reports whether the bootstrap still holds its connection open.
func (ip *interp) alive() bool {
	if ip.conn == nil {
		return false
	}
	_ = ip.conn.SetReadDeadline(time.Now())
	var b [1]byte
	_, err := ip.conn.Read(b[:])
	_ = ip.conn.SetReadDeadline(time.Time{})
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// usage is the cgroup's memory usage now, in bytes.
func (cg *cgroup) usage() uint64 {
	f := cg.dirs["memory"] + "/memory.usage_in_bytes"
	if cg.fs.v2 {
		f = cg.dirs[""] + "/memory.current"
	}
	k := keptFile{path: f}
	defer k.close()
	return k.uintValue()
}
