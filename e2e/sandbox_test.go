package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/hearth-run/hearth/internal/testenv"
)

// requireRoot skips where isolation cannot exist: without root Hearth runs
// environments as plain processes (and says so at startup). CI runs as root.
func requireRoot(t *testing.T) {
	t.Helper()
	testenv.NeedRoot(t, "sandbox isolation (namespaces, cgroups, mounts)")
}

func TestSandboxIsolation(t *testing.T) {
	requireRoot(t)
	h := startHearth(t, "")
	c := h.client()
	gofn := runtimeCases[0]
	createFunction(t, c, "iso-a", gofn)
	createFunction(t, c, "iso-b", runtimeCases[1])

	r := invoke(t, c, "iso-a", map[string]any{"action": "procs"})
	if r.Payload["procs"] != float64(1) {
		t.Errorf("function sees %v processes, want only its own (1)", r.Payload["procs"])
	}
	if r.Payload["uid"] == float64(0) {
		t.Errorf("function runs as root")
	}
	if r := invoke(t, c, "iso-a", map[string]any{"action": "write", "path": "/var/task/x"}); r.Payload["writeErr"] == "<nil>" {
		t.Errorf("function could write /var/task")
	}
	if r := invoke(t, c, "iso-a", map[string]any{"action": "read", "path": "/var/task/bootstrap"}); r.Payload["readErr"] != "<nil>" {
		t.Errorf("function cannot read its own code: %v", r.Payload["readErr"])
	}
	// Hearth's data dir and another function's code are not visible.
	trees, _ := filepath.Glob(filepath.Join(h.dataDir, "code", "trees", "*", "app.py"))
	if len(trees) == 0 {
		t.Fatal("no unpacked python code found in the data dir")
	}
	for _, path := range []string{filepath.Join(h.dataDir, "hearth.db"), filepath.Join(h.dataDir, "credentials.json"), trees[0]} {
		if r := invoke(t, c, "iso-a", map[string]any{"action": "read", "path": path}); r.Payload["readErr"] == "<nil>" {
			t.Errorf("function could read %s", path)
		}
	}
}

func TestSandboxLimits(t *testing.T) {
	requireRoot(t)
	h := startHearth(t, "")
	c := h.client()
	createFunction(t, c, "limits", runtimeCases[0], func(in *lambda.CreateFunctionInput) {
		in.MemorySize = aws.Int32(128)
		in.Timeout = aws.Int32(20)
	})
	first := invoke(t, c, "limits", map[string]any{"action": "echo"})

	// Past MemorySize: Runtime.OutOfMemory, then a cold start in a fresh environment.
	r := invoke(t, c, "limits", map[string]any{"action": "alloc", "mb": 400})
	var fe struct{ ErrorType, ErrorMessage string }
	json.Unmarshal(r.Raw, &fe)
	if r.FunctionError != "Unhandled" || fe.ErrorType != "Runtime.OutOfMemory" {
		t.Errorf("allocating past MemorySize: %q %s", r.FunctionError, r.Raw)
	}
	next := invoke(t, c, "limits", map[string]any{"action": "echo"})
	if next.FunctionError != "" || !hasInitDuration(next.Log) || streamOf(next) == streamOf(first) {
		t.Errorf("after OOM the next invocation must be cold in a new environment:\n%s", next.Log)
	}

	// A fork bomb stops at the pids limit, inside the function only.
	r = invoke(t, c, "limits", map[string]any{"action": "spawn", "n": 3000})
	if n, _ := r.Payload["spawned"].(float64); n >= 3000 || r.Payload["spawnErr"] == "<nil>" {
		t.Errorf("spawned %v processes (err %v), want the pids limit to stop it", r.Payload["spawned"], r.Payload["spawnErr"])
	}
	if r := invoke(t, c, "limits", map[string]any{"action": "echo"}); r.FunctionError != "" {
		t.Errorf("function broken after the fork bomb: %s", r.Raw)
	}

	// The server is unaffected.
	if _, err := c.ListFunctions(context.Background(), &lambda.ListFunctionsInput{}); err != nil {
		t.Fatal(err)
	}
}

func TestSandboxEphemeralStorage(t *testing.T) {
	requireRoot(t)
	h := startHearth(t, "")
	c := h.client()
	createFunction(t, c, "tmpfull", runtimeCases[0], func(in *lambda.CreateFunctionInput) {
		in.MemorySize = aws.Int32(1024)
		in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(512)}
		in.Timeout = aws.Int32(30)
	})
	r := invoke(t, c, "tmpfull", map[string]any{"action": "fill", "mb": 600})
	written, _ := r.Payload["written"].(float64)
	if r.FunctionError != "" || !strings.Contains(r.Payload["fillErr"].(string), "no space left") || written > 513<<20 {
		t.Errorf("filling /tmp past EphemeralStorage: %s", r.Raw)
	}
}

// TestSandboxCleanup checks that no cgroup, mount or process outlives its
// environment, after a clean shutdown and after kill -9 plus restart.
func TestSandboxCleanup(t *testing.T) {
	requireRoot(t)
	h := startHearth(t, "")
	c := h.client()
	createFunction(t, c, "cleanup", runtimeCases[0])
	invoke(t, c, "cleanup", map[string]any{"action": "echo"})
	envs := h.environments(t, "cleanup")
	if len(envs) != 1 {
		t.Fatalf("environments: %v", envs)
	}
	pid, id := envs[0].Pid, envs[0].ID
	if !processFrozen(t, envs[0]) {
		waitFrozen(t, h, "cleanup")
	}
	h.kill9()
	// The environment survives Hearth's SIGKILL only until the restart.
	h.restart()
	waitFor(t, "leftover environment removed after restart", func() bool {
		_, err := os.Stat(filepath.Join("/proc", itoa(pid)))
		return os.IsNotExist(err) && !cgroupExists(id)
	})
	// A clean shutdown leaves nothing either.
	invoke(t, c, "cleanup", map[string]any{"action": "echo"})
	envs = h.environments(t, "cleanup")
	h.stop()
	for _, e := range envs {
		if _, err := os.Stat(filepath.Join("/proc", itoa(e.Pid))); err == nil {
			t.Errorf("environment process %d outlived the server", e.Pid)
		}
		if cgroupExists(e.ID) {
			t.Errorf("cgroup of %s outlived the server", e.ID)
		}
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), h.dataDir) {
		t.Errorf("mounts under the data dir remain:\n%s", mounts)
	}
}

// cgroupExists looks for an environment's cgroup in any hierarchy.
func cgroupExists(id string) bool {
	matches, _ := filepath.Glob("/sys/fs/cgroup/*/hearth-*/" + id)
	more, _ := filepath.Glob("/sys/fs/cgroup/hearth-*/" + id)
	return len(matches)+len(more) > 0
}

// TestFrozenUsesNoCPU checks with the kernel that a frozen environment
// accumulates no CPU time.
func TestFrozenUsesNoCPU(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	pyFunction(t, c, "busy-bg", `import threading
def spin():
    while True:
        pass
threading.Thread(target=spin, daemon=True).start()
def handler(event, context):
    return "ok"
`)
	invoke(t, c, "busy-bg", map[string]any{})
	envs := waitFrozen(t, h, "busy-bg")
	if !processFrozen(t, envs[0]) {
		t.Fatal("the kernel never froze the environment")
	}
	before := cpuTicks(t, envs[0].Pid)
	time.Sleep(500 * time.Millisecond)
	after := cpuTicks(t, envs[0].Pid)
	if after-before > 2 {
		t.Fatalf("frozen environment used %d CPU ticks in 0.5 s", after-before)
	}
	if r := invoke(t, c, "busy-bg", map[string]any{}); r.FunctionError != "" {
		t.Fatalf("thawed environment failed: %s", r.Raw)
	}
}

// cpuTicks is utime+stime of a process, in clock ticks.
func cpuTicks(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", itoa(pid), "stat"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return atoi(f[11]) + atoi(f[12])
}

// TestFrozenTreeUsesNoCPU freezes an environment of two processes — the
// bootstrap and a busy child it started — and checks with the kernel that
// neither runs while frozen.
func TestFrozenTreeUsesNoCPU(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	pyFunction(t, c, "busy-child", `import os, subprocess
child = subprocess.Popen(["/usr/bin/python3", "-c", "while True: pass"])
def handler(event, context):
    return {"child": child.pid}
`)
	invoke(t, c, "busy-child", map[string]any{})
	envs := waitFrozen(t, h, "busy-child")
	if !processFrozen(t, envs[0]) {
		t.Fatal("the kernel never froze the environment")
	}
	children := childPids(t, envs[0].Pid)
	if len(children) != 1 {
		t.Fatalf("children of the bootstrap: %v, want the busy child", children)
	}
	before := cpuTicks(t, children[0])
	time.Sleep(500 * time.Millisecond)
	if used := cpuTicks(t, children[0]) - before; used > 2 {
		t.Fatalf("the child of a frozen environment used %d CPU ticks in 0.5 s", used)
	}
	if r := invoke(t, c, "busy-child", map[string]any{}); r.FunctionError != "" {
		t.Fatalf("thawed environment failed: %s", r.Raw)
	}
}

// childPids lists the host PIDs of a process's children.
func childPids(t *testing.T, pid int) []int {
	t.Helper()
	var out []int
	tasks, _ := filepath.Glob(filepath.Join("/proc", itoa(pid), "task", "*", "children"))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, p := range strings.Fields(string(b)) {
			out = append(out, atoi(p))
		}
	}
	return out
}

// TestOOMInChildProcess: a child process of the function exceeds the
// memory limit and is killed while the bootstrap survives; the invocation
// still reports Runtime.OutOfMemory and the environment is replaced.
func TestOOMInChildProcess(t *testing.T) {
	requireRoot(t)
	h := startHearth(t, "")
	c := h.client()
	pyFunction(t, c, "oom-child", `import os, subprocess
def handler(event, context):
    if event.get("hog"):
        subprocess.run(["/usr/bin/python3", "-c", "x = bytearray(400 * 1024 * 1024)"])
    return os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
`, func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(128) })
	first := invoke(t, c, "oom-child", map[string]any{})
	r := invoke(t, c, "oom-child", map[string]any{"hog": true})
	var fe struct{ ErrorType string }
	json.Unmarshal(r.Raw, &fe)
	if r.FunctionError != "Unhandled" || fe.ErrorType != "Runtime.OutOfMemory" {
		t.Fatalf("child over the memory limit: %q %s", r.FunctionError, r.Raw)
	}
	next := invoke(t, c, "oom-child", map[string]any{})
	if !hasInitDuration(next.Log) || string(next.Raw) == string(first.Raw) {
		t.Fatalf("after an OOM the environment must be replaced:\n%s", next.Log)
	}
}
