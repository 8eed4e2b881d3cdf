package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSandboxInitEmbedded: hearth built as make build builds it carries
// the small sandbox init, and isolated environments start with it — not
// with a re-execution of the 40 MB hearth binary, which would cost
// milliseconds of CPU per cold start.
func TestSandboxInitEmbedded(t *testing.T) {
	if r := runCLI(t, os.Environ(), "version"); !strings.Contains(r.stdout, "\nsandbox init: embedded (") {
		t.Fatalf("hearth version: %q, want the sandbox init embedded", r.stdout)
	}
	requireRoot(t)
	h := startHearth(t, "")
	initDir := filepath.Join(h.dataDir, "sandbox", "init")
	var exe string
	waitFor(t, "a kept init running the embedded program", func() bool {
		for _, pid := range childPIDs(h.cmd.Process.Pid) {
			if p, err := os.Readlink("/proc/" + pid + "/exe"); err == nil && filepath.Dir(p) == initDir {
				exe = p
				return true
			}
		}
		return false
	})
	fi, err := os.Stat(exe)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Stat(hearthBin)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > self.Size()/8 {
		t.Errorf("the init is %d bytes, hearth %d: not the small init", fi.Size(), self.Size())
	}
	if strings.Contains(h.logs(), "re-executes") {
		t.Errorf("hearth fell back to re-executing itself:\n%s", h.logs())
	}
	c := h.client()
	createFunction(t, c, "init-go", runtimeCases[0])
	if r := invoke(t, c, "init-go", map[string]any{"name": "init"}); r.FunctionError != "" || !hasInitDuration(r.Log) {
		t.Fatalf("cold invoke: error %q, log %q", r.FunctionError, r.Log)
	}
}

// childPIDs lists the children of pid, from every thread of it.
func childPIDs(pid int) []string {
	tasks, _ := filepath.Glob("/proc/" + itoa(pid) + "/task/*/children")
	var out []string
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		out = append(out, strings.Fields(string(b))...)
	}
	return out
}
