package sandbox

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// startPlain runs the bootstrap as an ordinary child in its own process group.
func (m *Manager) startPlain(spec Spec) (*Process, error) {
	path := spec.Path
	if !strings.Contains(path, "/") {
		lp, err := exec.LookPath(path)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidSpec, err)
		}
		path = lp
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime api listener: %w", err)
	}
	p := &Process{m: m, id: spec.ID, ln: ln, addr: ln.Addr().String(), done: make(chan struct{})}
	p.cmd = &exec.Cmd{
		Path: path,
		Args: append([]string{spec.Path}, spec.Args...),
		Env:  withRuntimeAPI(spec.Env, p.addr),
		Dir:  spec.CodeDir,
		SysProcAttr: &syscall.SysProcAttr{
			Setpgid:   true,
			Pdeathsig: syscall.SIGKILL,
		},
	}
	childOut, err := p.setOutput(p.cmd, spec.Output)
	if err != nil {
		ln.Close()
		return nil, err
	}
	err = p.cmd.Start()
	if childOut != nil {
		childOut.Close()
	}
	if err != nil {
		ln.Close()
		if p.outR != nil {
			p.outR.Close()
		}
		return nil, err
	}
	p.pid = p.cmd.Process.Pid
	if p.outR != nil {
		go p.copyOutput(spec.Output)
	}
	p.record = filepath.Join(m.procsDir, spec.ID)
	if start := startTime(p.pid); start != "" {
		_ = os.WriteFile(p.record, []byte(strconv.Itoa(p.pid)+" "+start), 0o600)
	}
	go p.wait()
	return p, nil
}

// stopGroup sends SIGSTOP to the process group led by pid and waits until
// the leader is stopped.
func stopGroup(pid int) error {
	return syscall.Kill(-pid, syscall.SIGSTOP)
}

// waitStopped waits until the process is in the stopped state.
func waitStopped(pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for i := 0; ; i++ {
		st := procState(pid)
		if st == 'T' || st == 't' || st == 'Z' || st == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: pid %d in state %c", ErrFreezeTimeout, pid, st)
		}
		if i > 20 {
			time.Sleep(20 * time.Microsecond)
		}
	}
}

// statFields returns the fields of /proc/<pid>/stat after the command name.
func statFields(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// procState is the state letter of pid (0 if it is gone).
func procState(pid int) byte {
	f := statFields(pid)
	if len(f) == 0 {
		return 0
	}
	return f[0][0]
}

// startTime is the start time of pid in clock ticks, which tells a
// recorded process from a later one that reuses its PID.
func startTime(pid int) string {
	f := statFields(pid)
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// vmHWM is the peak resident set of pid in bytes (0 if unknown).
func vmHWM(pid int) uint64 {
	return statusKB(pid, "VmHWM:") * 1024
}

func statusKB(pid int, key string) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// handlesSignal reports whether pid catches or ignores sig.
func handlesSignal(pid int, sig syscall.Signal) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	bit := uint64(1) << (uint(sig) - 1)
	for _, line := range strings.Split(string(b), "\n") {
		for _, key := range []string{"SigCgt:", "SigIgn:"} {
			if v, ok := strings.CutPrefix(line, key); ok {
				mask, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
				if mask&bit != 0 {
					return true
				}
			}
		}
	}
	return false
}
