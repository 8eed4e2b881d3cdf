package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hearth-run/hearth/internal/testenv"
)

// testCgroupParent keeps the tests' cgroups apart from a Hearth running on
// the same machine, from other packages' tests and from another run of these
// tests at the same time (a manager clears what its parent holds at start).
var testCgroupParent = fmt.Sprintf("hearth-sandbox-test-%d", os.Getpid())

// codeDir holds the test bootstrap, built once per test binary.
var codeDir string

func TestMain(m *testing.M) {
	Init() // the tests of the fallback re-execute this binary as the sandbox init
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "sandbox-code-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	// The isolated bootstrap runs as an unprivileged uid: the code must be
	// readable by it.
	_ = os.Chmod(dir, 0o755)
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "testprog"), "./testdata/testprog")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build test bootstrap: %v\n%s", err, out)
		return 1
	}
	// The environments' init: the small program Hearth embeds, built
	// from this tree, as go generate would.
	init := filepath.Join(dir, "hearth-sandbox-init")
	build = exec.Command("go", "build", "-o", init, "../sandboxinit/cmd/hearth-sandbox-init")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build sandbox init: %v\n%s", err, out)
		return 1
	}
	prog, err := os.ReadFile(init)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	initFiles = fstest.MapFS{initName: {Data: prog, Mode: 0o755}}
	codeDir = dir
	defer removeTestCgroupParent()
	return m.Run()
}

// buffer is an Output safe for the test to read while the copier writes.
type buffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor polls cond for up to 5 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func newManager(t testing.TB, isolation string) *Manager {
	t.Helper()
	if isolation == "auto" && os.Geteuid() != 0 {
		testenv.NeedRoot(t, "isolated mode (namespaces, mounts, cgroups)")
	}
	m, err := New(Options{
		StateDir:     t.TempDir(),
		Isolation:    isolation,
		CgroupParent: testCgroupParent,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if isolation == "auto" && !m.Isolated() {
		t.Fatal("running as root but the manager does not isolate")
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// forModes runs fn against a plain and an isolated manager.
func forModes(t *testing.T, fn func(t *testing.T, m *Manager)) {
	for _, mode := range []struct{ name, isolation string }{{"plain", "off"}, {"isolated", "auto"}} {
		t.Run(mode.name, func(t *testing.T) { fn(t, newManager(t, mode.isolation)) })
	}
}

var envSeq int

// spec returns a Spec running the test bootstrap with args.
func spec(m *Manager, out io.Writer, args ...string) Spec {
	envSeq++
	task, _ := m.View(codeDir, "")
	return Spec{
		ID:      fmt.Sprintf("env-%d-%d", os.Getpid(), envSeq),
		CodeDir: codeDir,
		Path:    task + "/testprog",
		Args:    args,
		Env:     []string{"PATH=/usr/bin:/bin"},
		Output:  out,
	}
}

func start(t testing.TB, m *Manager, s Spec) *Process {
	t.Helper()
	p, err := m.Start(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(0) })
	return p
}

func waitDone(t testing.TB, p *Process) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("bootstrap did not exit")
	}
	// Done comes when the bootstrap is reaped; its last output may still be
	// on its way through the pipe on a loaded machine.
	p.SyncOutput(2 * time.Second)
}

func TestExitStatus(t *testing.T) {
	forModes(t, func(t *testing.T, m *Manager) {
		for _, tc := range []struct {
			name, code, want string
		}{
			{"zero", "0", ""},
			{"three", "3", "exit status 3"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var out buffer
				p := start(t, m, spec(m, &out, "exit", tc.code))
				waitDone(t, p)
				got := ""
				if err := p.ExitError(); err != nil {
					got = err.Error()
				}
				if got != tc.want {
					t.Errorf("ExitError = %q, want %q", got, tc.want)
				}
				p.Stop(0)
				if !strings.Contains(out.String(), "exiting "+tc.code) {
					t.Errorf("output %q lacks the bootstrap's line", out.String())
				}
			})
		}
	})
}

func TestRuntimeAPIReachable(t *testing.T) {
	forModes(t, func(t *testing.T, m *Manager) {
		p := start(t, m, spec(m, nil, "hello"))
		ln, addr := p.RuntimeAPI()
		if !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Errorf("addr = %q", addr)
		}
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		waitDone(t, p)
		if err := p.ExitError(); err != nil {
			t.Errorf("bootstrap failed: %v", err)
		}
	})
}

func TestStopKillsTree(t *testing.T) {
	forModes(t, func(t *testing.T, m *Manager) {
		var out buffer
		p := start(t, m, spec(m, &out, "tree"))
		waitFor(t, "the grandchild", func() bool { return strings.Contains(out.String(), "child ") })
		var hostChild []int
		if p.cg != nil {
			hostChild = p.cg.pids()
		} else {
			var pid int
			fmt.Sscanf(out.String()[strings.Index(out.String(), "child "):], "child %d", &pid)
			hostChild = []int{pid}
		}
		p.Stop(20 * time.Millisecond) // the tree ignores SIGTERM
		if err := p.ExitError(); err == nil || err.Error() != "signal: killed" {
			t.Errorf("ExitError = %v, want signal: killed", err)
		}
		for _, pid := range hostChild {
			waitFor(t, fmt.Sprintf("pid %d to die", pid), func() bool {
				return procState(pid) == 0 || procState(pid) == 'Z'
			})
		}
	})
}

// frozen reports whether the environment is stopped as Freeze left it.
func frozen(p *Process) bool {
	if st := procState(p.pid); st == 'T' || st == 't' {
		return true // stopped alone (isolated, single process) or by group (plain)
	}
	if p.cg != nil {
		b, _ := os.ReadFile(p.cg.dirs["freezer"] + "/freezer.state")
		if p.cg.fs.v2 {
			b, _ = os.ReadFile(p.cg.dirs[""] + "/cgroup.events")
			return bytes.Contains(b, []byte("frozen 1"))
		}
		return strings.TrimSpace(string(b)) == "FROZEN"
	}
	return false
}

func TestFreezeThaw(t *testing.T) {
	forModes(t, func(t *testing.T, m *Manager) {
		var out buffer
		p := start(t, m, spec(m, &out, "counter"))
		waitFor(t, "the counter", func() bool { return strings.Count(out.String(), "\n") > 3 })
		if err := p.Freeze(); err != nil {
			t.Fatal(err)
		}
		if err := p.WaitFrozen(2 * time.Second); err != nil {
			t.Fatal(err)
		}
		if !frozen(p) {
			t.Fatal("not frozen after Freeze")
		}
		time.Sleep(10 * time.Millisecond) // lines written before the freeze may still be in the pipe
		before := out.String()
		time.Sleep(30 * time.Millisecond)
		if after := out.String(); after != before {
			t.Fatalf("counter advanced while frozen: %d -> %d bytes", len(before), len(after))
		}
		if err := p.Thaw(); err != nil {
			t.Fatal(err)
		}
		if frozen(p) {
			t.Fatal("still frozen after Thaw")
		}
		waitFor(t, "the counter to resume", func() bool { return len(out.String()) > len(before) })
		// Stop must work on a frozen environment too.
		if err := p.Freeze(); err != nil {
			t.Fatal(err)
		}
		p.Stop(time.Second)
		select {
		case <-p.Done():
		default:
			t.Fatal("Stop returned before the bootstrap exited")
		}
	})
}

func TestMaxMemory(t *testing.T) {
	forModes(t, func(t *testing.T, m *Manager) {
		s := spec(m, nil, "mem", "20")
		s.MemoryMB = 256
		p := start(t, m, s)
		waitDone(t, p)
		if got := p.MaxMemoryBytes(); got < 20<<20 {
			t.Errorf("MaxMemoryBytes = %d, want at least 20 MB", got)
		}
		if p.OOMKilled() {
			t.Error("OOMKilled without hitting the limit")
		}
	})
}

func TestStartErrors(t *testing.T) {
	forModes(t, func(t *testing.T, m *Manager) {
		for _, tc := range []struct {
			name   string
			mutate func(*Spec)
			want   error
		}{
			{"no id", func(s *Spec) { s.ID = "" }, ErrInvalidSpec},
			{"slash in id", func(s *Spec) { s.ID = "a/b" }, ErrInvalidSpec},
			{"no code dir", func(s *Spec) { s.CodeDir = "" }, ErrInvalidSpec},
			{"bad network", func(s *Spec) { s.Network = "bridge" }, ErrInvalidSpec},
			{"missing program", func(s *Spec) { s.Path += "-missing" }, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := spec(m, nil, "exit", "0")
				tc.mutate(&s)
				_, err := m.Start(s)
				if err == nil {
					t.Fatal("Start succeeded")
				}
				if tc.want != nil && !errors.Is(err, tc.want) {
					t.Errorf("err = %v, want %v", err, tc.want)
				}
			})
		}
	})
}

func TestNewKillsRecordedGroups(t *testing.T) {
	state := t.TempDir()
	sleeper := exec.Command("/bin/sleep", "60")
	sleeper.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer sleeper.Process.Kill()
	pid := sleeper.Process.Pid
	if err := os.MkdirAll(filepath.Join(state, "procs"), 0o700); err != nil {
		t.Fatal(err)
	}
	rec := fmt.Sprintf("%d %s", pid, startTime(pid))
	if err := os.WriteFile(filepath.Join(state, "procs", "old"), []byte(rec), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := New(Options{StateDir: state, Isolation: "off", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := sleeper.Wait(); err == nil || err.Error() != "signal: killed" {
		t.Errorf("leftover process: %v, want killed", err)
	}
}

func TestCloseStopsEverything(t *testing.T) {
	forModes(t, func(t *testing.T, m *Manager) {
		var ps []*Process
		for i := 0; i < 3; i++ {
			ps = append(ps, start(t, m, spec(m, nil, "sleep")))
		}
		m.Close()
		for _, p := range ps {
			select {
			case <-p.Done():
			default:
				t.Error("environment still running after Close")
			}
		}
		if _, err := m.Start(spec(m, nil, "sleep")); !errors.Is(err, ErrClosed) {
			t.Errorf("Start after Close: %v, want ErrClosed", err)
		}
	})
}

// removeTestCgroupParent removes the (empty) parent cgroups the tests made.
func removeTestCgroupParent() {
	for _, c := range []string{"memory", "freezer", "pids", "cpu", ""} {
		_ = os.Remove(filepath.Join("/sys/fs/cgroup", c, testCgroupParent))
	}
}
