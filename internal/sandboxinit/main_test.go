package sandboxinit

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildInit builds the init program from this tree.
func buildInit(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hearth-sandbox-init")
	build := exec.Command("go", "build", "-o", bin, "./cmd/hearth-sandbox-init")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// TestProgram: the built program answers a probe of its protocol, refuses
// another protocol naming both, refuses malformed arguments, and does
// nothing when Hearth did not start it. (Building an environment needs
// namespaces: internal/sandbox's tests start real ones with it.)
func TestProgram(t *testing.T) {
	bin := buildInit(t)
	for _, tc := range []struct {
		name     string
		env      []string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"probe", []string{EnvName + "=" + Protocol}, []string{ProbeArg}, 0, ""},
		{"another protocol", []string{EnvName + "=hearth-sandbox-init/0"}, []string{ProbeArg}, 127, "speaks " + Protocol + ", Hearth sent hearth-sandbox-init/0"},
		{"malformed arguments", []string{EnvName + "=" + Protocol}, []string{"/root"}, 127, "malformed arguments"},
		{"outside new namespaces", []string{EnvName + "=" + Protocol}, Prep{Root: t.TempDir()}.Args()[1:], 127, "not the first process"},
		{"not started by Hearth", nil, nil, 2, "Hearth starts it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = tc.env
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != tc.wantCode || !strings.Contains(string(out), tc.wantOut) {
				t.Fatalf("exit %d, output %q; want %d and %q", code, out, tc.wantCode, tc.wantOut)
			}
		})
	}
}
