package sandbox

import (
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// newSpawnerManager is an isolated Manager that keeps no inits ready, so
// that only the test uses its spawners.
func newSpawnerManager(t *testing.T) *Manager {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("spawners need root (namespaces, cgroups)")
	}
	m, err := New(Options{StateDir: t.TempDir(), CgroupParent: testCgroupParent, Prestart: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if !m.Isolated() || m.spawners == nil || cap(m.spawners) == 0 {
		t.Fatal("running as root but no spawner started")
	}
	return m
}

// initCmd is an init-like command for a spawner: path in new PID, mount,
// IPC and UTS namespaces, its output into a pipe the test closes.
func initCmd(t *testing.T, path string, args ...string) *exec.Cmd {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return &exec.Cmd{Path: path, Args: append([]string{path}, args...), Stdout: w, Stderr: w,
		SysProcAttr: &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS}}
}

// hostNet is this process's network namespace, open.
func hostNet(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Open("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// zombieChildren lists this process's children that are zombies.
func zombieChildren(t *testing.T) []int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, task := range tasks {
		tid, _ := strconv.Atoi(task.Name())
		for _, pid := range threadChildren(tid) {
			if _, state, ok := procStatPPID(pid); ok && state == "Z" {
				out = append(out, pid)
			}
		}
	}
	return out
}

// An init whose exec fails in a spawner is Hearth's child (CLONE_PARENT)
// and would stay its zombie: the spawn reaps it.
func TestSpawnExecFailureLeavesNoZombie(t *testing.T) {
	m := newSpawnerManager(t)
	before := zombieChildren(t)
	cmd := initCmd(t, filepath.Join(t.TempDir(), "no-such-init"))
	ok, err := m.spawn(cmd, int(hostNet(t).Fd()), -1)
	if !ok || err == nil {
		t.Fatalf("spawn of a missing program: served %v, error %v; want served with an error", ok, err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		var left []int
		for _, pid := range zombieChildren(t) {
			if !slices.Contains(before, pid) {
				left = append(left, pid)
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("zombie children %v left by the failed exec", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The spawner still serves.
	cmd = initCmd(t, "/bin/true")
	if ok, err := m.spawn(cmd, int(hostNet(t).Fd()), -1); !ok || err != nil {
		t.Fatalf("spawn after a failed one: served %v, error %v", ok, err)
	}
	if _, err := cmd.Process.Wait(); err != nil {
		t.Errorf("wait for the init: %v", err)
	}
}

// A spawner that dies after a clone, before Hearth hears of it, leaves an
// init Hearth does not know; the spawn that finds the spawner dead kills
// and reaps it before Hearth clones the init itself.
func TestDeadSpawnerLeavesNoStray(t *testing.T) {
	m := newSpawnerManager(t)
	sps := drainSpawners(m)
	defer func() {
		for _, sp := range sps[1:] {
			m.spawners <- sp
		}
	}()
	sp := sps[0]
	// A clone whose answer Hearth never records: it stands for the one a
	// spawner made just before it died.
	out := initCmd(t, "/bin/sleep").Stdout.(*os.File)
	resp, err := sp.call(spawnReq{Path: "/bin/sleep", Args: []string{"sleep", "60"},
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID}, []int{int(hostNet(t).Fd()), int(out.Fd())})
	if err != nil || resp.Err != "" || resp.Pid <= 0 {
		t.Fatalf("clone through the spawner: %+v, %v", resp, err)
	}
	stray := resp.Pid
	if err := sp.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	m.spawners <- sp
	cmd := initCmd(t, "/bin/true")
	ok, err := m.spawn(cmd, int(hostNet(t).Fd()), -1)
	if ok || err != nil {
		t.Fatalf("spawn through a dead spawner: served %v, error %v; want left to the caller", ok, err)
	}
	if ppid, state, alive := procStatPPID(stray); alive && ppid == os.Getpid() {
		_ = syscall.Kill(stray, syscall.SIGKILL)
		t.Fatalf("the stray init %d is still this process's child (state %s)", stray, state)
	}
}
