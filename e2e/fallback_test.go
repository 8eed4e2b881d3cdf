package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/testenv"
)

// TestUnprivilegedFallback runs Hearth as an unprivileged user: it cannot
// isolate, says so once at startup, and still runs functions as plain
// processes with Lambda's lifecycle.
func TestUnprivilegedFallback(t *testing.T) {
	testenv.NeedRoot(t, "starts Hearth as another, unprivileged user")
	const nobody = 65534
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(data, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	// The binary's own directory must be reachable by that user.
	bin := filepath.Join(dir, "hearth")
	raw, err := os.ReadFile(hearthBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, raw, 0o755); err != nil {
		t.Fatal(err)
	}
	h := &hearth{t: t, dataDir: data, addr: freeAddr(t)}
	h.prepare = func(cmd *exec.Cmd) {
		cmd.Path, cmd.Args[0] = bin, bin
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		cmd.Dir = dir
	}
	h.start()
	t.Cleanup(h.stop)
	c := h.client()
	createFunction(t, c, "plain", runtimeCases[1])
	r := invoke(t, c, "plain", map[string]any{"action": "echo"})
	if r.FunctionError != "" || !hasInitDuration(r.Log) {
		t.Fatalf("plain-process invocation: %q %s\n%s", r.FunctionError, r.Raw, r.Log)
	}
	if r := invoke(t, c, "plain", map[string]any{"action": "echo"}); hasInitDuration(r.Log) {
		t.Fatalf("second invocation was cold:\n%s", r.Log)
	}
	envs := waitFrozen(t, h, "plain")
	if !processFrozen(t, envs[0]) {
		t.Fatal("plain environment not stopped while idle")
	}
	time.Sleep(50 * time.Millisecond)
	logs := h.logs()
	if n := strings.Count(logs, "environments run as plain processes; NOT enforced"); n != 1 {
		t.Fatalf("want exactly one fallback warning, got %d:\n%s", n, logs)
	}
	if !strings.Contains(logs, "isolated=false") {
		t.Fatalf("startup line does not say isolated=false:\n%s", logs)
	}
}
