package runtimes

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	// installOnce guards installDir: the bootstraps are installed once per test binary.
	installOnce sync.Once
	installDir  string
	installErr  error
)

func runtimeRoot(t testing.TB) string {
	t.Helper()
	installOnce.Do(func() {
		installDir, installErr = os.MkdirTemp("", "hearth-runtimes-test")
		if installErr == nil {
			installErr = Install(installDir)
		}
	})
	if installErr != nil {
		t.Fatalf("Install: %v", installErr)
	}
	return installDir
}

// TestMain removes the shared runtime directory.
func TestMain(m *testing.M) {
	code := m.Run()
	if installDir != "" {
		os.RemoveAll(installDir)
	}
	os.Exit(code)
}

// bootstrapProc is one running bootstrap against a fake Runtime API.
type bootstrapProc struct {
	api    *fakeAPI
	out    *lockedBuffer
	cmd    *exec.Cmd
	exited chan error // receives cmd.Wait's result once
}

// startBootstrap writes files into a fresh task root and runs the runtime's
// bootstrap there as a real process. The process is killed and reaped at
// cleanup. env entries are added last, so they override the defaults;
// "{port}" in them is the fake Runtime API's port.
func startBootstrap(t testing.TB, runtime string, files map[string]string, handler string, env ...string) *bootstrapProc {
	t.Helper()
	rt, ok := Lookup(runtime)
	if !ok {
		t.Fatalf("Lookup(%q) failed", runtime)
	}
	task := t.TempDir()
	for name, content := range files {
		p := filepath.Join(task, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path, args, err := rt.Command(task, runtimeRoot(t))
	if err != nil {
		t.Fatalf("Command: %v", err)
	}
	api := newFakeAPI(t)
	cmd := exec.Command(path, args...)
	cmd.Dir = task
	cmd.Env = []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=C.UTF-8",
		"AWS_LAMBDA_RUNTIME_API=" + api.addr(),
		"_HANDLER=" + handler,
		"LAMBDA_TASK_ROOT=" + task,
		"AWS_EXECUTION_ENV=" + rt.ExecutionEnv,
		"AWS_LAMBDA_FUNCTION_NAME=fn",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/fn",
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/01/01/[$LATEST]abc",
	}
	_, port, _ := strings.Cut(api.addr(), ":")
	for _, kv := range env {
		cmd.Env = append(cmd.Env, strings.ReplaceAll(kv, "{port}", port))
	}
	p := &bootstrapProc{api: api, out: &lockedBuffer{}, exited: make(chan error, 1)}
	p.cmd = cmd
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	go func() { p.exited <- cmd.Wait() }() // owned: reaped below or by the test
	t.Cleanup(func() {
		cmd.Process.Kill()
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			t.Errorf("bootstrap did not exit after kill")
		}
	})
	return p
}

// invoke sends one event and returns what the bootstrap posted for it.
func (p *bootstrapProc) invoke(t testing.TB, ev fakeEvent) posted {
	t.Helper()
	p.api.push(ev)
	return p.api.wait(t, p.out)
}

// waitExit waits for the process to exit on its own and returns its error.
func (p *bootstrapProc) waitExit(t testing.TB) error {
	t.Helper()
	select {
	case err := <-p.exited:
		p.exited <- err // let the cleanup see it too
		return err
	case <-time.After(15 * time.Second):
		t.Fatalf("bootstrap did not exit; output:\n%s", p.out.String())
		return nil
	}
}

// stop kills the process and returns its complete output: Wait has copied
// everything the process wrote by the time it returns.
func (p *bootstrapProc) stop(t testing.TB) string {
	t.Helper()
	p.cmd.Process.Kill()
	p.waitExit(t)
	return p.out.String()
}
