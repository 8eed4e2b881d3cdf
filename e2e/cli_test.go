package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cliEnv is the environment of hearth's client commands against h. It
// carries no access keys: the commands find them in a data dir's
// credentials file, as on the machine that runs `hearth serve`.
func cliEnv(t *testing.T, h *hearth) []string {
	t.Helper()
	dir := t.TempDir()
	creds, _ := json.Marshal(map[string]string{"accessKeyId": testKeyID, "secretAccessKey": testSecret})
	if err := os.WriteFile(filepath.Join(dir, "credentials.json"), creds, 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "HEARTH_ACCESS_KEY_ID", "HEARTH_SECRET_ACCESS_KEY":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HEARTH_ENDPOINT="+h.endpoint(), "HEARTH_DATA_DIR="+dir)
}

// cliResult is what one client command printed and its exit status.
type cliResult struct {
	stdout, stderr string
	code           int
}

// runCLI runs the hearth binary with args and env.
func runCLI(t *testing.T, env []string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, hearthBin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("hearth %v: %v", args, err)
	}
	return r
}

// mustCLI runs a client command that must succeed.
func mustCLI(t *testing.T, env []string, args ...string) string {
	t.Helper()
	r := runCLI(t, env, args...)
	if r.code != 0 {
		t.Fatalf("hearth %v: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

const cliApp = `def handler(event, context):
    print("cli says", event.get("x"))
    return {"version": VERSION, "x": event.get("x")}

VERSION = %d
`

func writeApp(t *testing.T, dir string, version int) {
	t.Helper()
	src := fmt.Sprintf(cliApp, version)
	if err := os.WriteFile(filepath.Join(dir, "app.py"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCLI drives a function's life through hearth's own client commands:
// deploy, invoke, redeploy, ps, logs (also following), functions.
func TestCLI(t *testing.T) {
	h := startHearth(t, "")
	env := cliEnv(t, h)
	dir := filepath.Join(t.TempDir(), "clifn")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeApp(t, dir, 1)

	if out := mustCLI(t, env, "deploy", dir, "--runtime", "python3.12", "--handler", "app.handler", "--timeout", "10"); !strings.HasPrefix(out, "created clifn: python3.12 app.handler, 128 MB, 10 s") {
		t.Errorf("first deploy printed %q", out)
	}
	if out := mustCLI(t, env, "deploy", dir); !strings.HasPrefix(out, "unchanged clifn") {
		t.Errorf("deploy of an unchanged directory printed %q", out)
	}
	checkResult := func(out string, version, x int) {
		t.Helper()
		var got struct{ Version, X int }
		if err := json.Unmarshal([]byte(out), &got); err != nil || got.Version != version || got.X != x {
			t.Errorf("invoke printed %q, want version %d x %d", out, version, x)
		}
	}
	checkResult(mustCLI(t, env, "invoke", "clifn", `{"x":1}`), 1, 1)

	writeApp(t, dir, 2)
	if out := mustCLI(t, env, "deploy", dir, "--memory", "256"); !strings.HasPrefix(out, "updated clifn: python3.12 app.handler, 256 MB, 10 s") {
		t.Errorf("redeploy printed %q", out)
	}
	r := runCLI(t, env, "invoke", "clifn", `{"x":2}`, "--tail")
	if r.code != 0 || !strings.Contains(r.stderr, "cli says 2") {
		t.Errorf("invoke --tail: exit %d, stderr %q", r.code, r.stderr)
	}
	checkResult(r.stdout, 2, 2)

	ps := mustCLI(t, env, "ps", "clifn")
	lines := strings.Split(strings.TrimSpace(ps), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "FUNCTION") || !strings.Contains(lines[1], "clifn") || !strings.Contains(lines[1], "$LATEST") {
		t.Errorf("ps printed:\n%s", ps)
	}

	logs := mustCLI(t, env, "logs", "clifn")
	for _, want := range []string{"START RequestId: ", "END RequestId: ", "REPORT RequestId: ", "cli says 1", "cli says 2", "==> "} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}

	fns := mustCLI(t, env, "functions")
	if !strings.Contains(fns, "clifn") || !strings.Contains(fns, "python3.12") {
		t.Errorf("functions printed:\n%s", fns)
	}

	followLogs(t, env)
}

// followLogs checks that `hearth logs -f` shows a new invocation's output
// and ends cleanly on an interrupt.
func followLogs(t *testing.T, env []string) {
	cmd := exec.Command(hearthBin, "logs", "clifn", "-f")
	cmd.Env = env
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	waitFor(t, "logs -f shows the old output", func() bool { return strings.Contains(out.String(), "cli says 2") })
	mustCLI(t, env, "invoke", "clifn", `{"x":7}`)
	waitFor(t, "logs -f shows the new invocation", func() bool { return strings.Contains(out.String(), "cli says 7") })
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("logs -f ended with %v after an interrupt:\n%s", err, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Errorf("logs -f did not end on an interrupt")
	}
}

// lockedBuffer is a bytes.Buffer written by a process's output copier and
// read by the test.
type lockedBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestCLIErrors checks exit statuses and that failures show Lambda's
// error type and message.
func TestCLIErrors(t *testing.T) {
	h := startHearth(t, "")
	env := cliEnv(t, h)
	noBootstrap := t.TempDir()
	writeApp(t, noBootstrap, 1)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"unknown function", []string{"invoke", "missing"}, 1, "ResourceNotFoundException: Function not found: "},
		{"logs of unknown function", []string{"logs", "missing"}, 1, "ResourceNotFoundException: "},
		{"provided without bootstrap", []string{"deploy", noBootstrap, "--name", "gofn", "--runtime", "provided.al2023", "--handler", "bootstrap"}, 1, "needs an executable bootstrap"},
		{"create without runtime", []string{"deploy", noBootstrap, "--name", "newfn"}, 2, "runtime and handler are required"},
		{"invalid configuration", []string{"deploy", noBootstrap, "--name", "memfn", "--runtime", "python3.12", "--handler", "app.handler", "--memory", "1"}, 1, "ValidationException: "},
		{"no function named", []string{"invoke"}, 2, "usage: hearth invoke"},
		{"unknown flag", []string{"ps", "--nope"}, 2, "flag provided but not defined"},
		{"unknown command", []string{"nope"}, 2, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, env, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tt.code, tt.stderr)
			}
		})
	}
	// Without credentials anywhere, the command says where it looked.
	r := runCLI(t, append(env, "HEARTH_DATA_DIR="+t.TempDir()), "functions")
	if r.code != 1 || !strings.Contains(r.stderr, "no credentials") {
		t.Errorf("without credentials: exit %d, stderr %q", r.code, r.stderr)
	}
}
