package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// hostPython makes a PATH holding only the host's /usr/bin/python3 and
// returns it with that interpreter's version (e.g. "3.11.2") and the
// runtime name of that version (python3.11).
func hostPython(t *testing.T) (path, version, runtime string) {
	t.Helper()
	out, err := exec.Command("/usr/bin/python3", "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("the host's /usr/bin/python3: %v\n%s", err, out)
	}
	version = regexp.MustCompile(`\d+\.\d+\.\d+`).FindString(string(out))
	parts := strings.Split(version, ".")
	dir := t.TempDir()
	if err := os.Symlink("/usr/bin/python3", filepath.Join(dir, "python3")); err != nil {
		t.Fatal(err)
	}
	return dir, version, "python" + parts[0] + "." + parts[1]
}

// otherPython is a Python runtime of another version than runtime.
func otherPython(runtime string) string {
	if runtime == "python3.12" {
		return "python3.13"
	}
	return "python3.12"
}

// catalogueRow returns the fields of runtime's line in `hearth runtimes`.
func catalogueRow(t *testing.T, out, runtime string) []string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == runtime {
			return f
		}
	}
	t.Fatalf("no line for %s in:\n%s", runtime, out)
	return nil
}

func TestRuntimesCatalogue(t *testing.T) {
	path, version, exact := hostPython(t)
	other := otherPython(exact)
	run := func(args ...string) string {
		cmd := exec.Command(hearthBin, append([]string{"runtimes"}, args...)...)
		cmd.Env = append(os.Environ(), "PATH="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("hearth runtimes %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	out := run()
	row := catalogueRow(t, out, exact)
	if row[1] != "exact" || row[2] != version || row[3] != "host" {
		t.Errorf("%s: got %v, want exact %s from the host:\n%s", exact, row, version, out)
	}
	got, err := exec.Command(row[4], "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(got), version) {
		t.Errorf("%s resolves to %s, which says %q (%v), want %s", exact, row[4], got, err, version)
	}
	row = catalogueRow(t, out, other)
	if row[1] != "nearest" || row[2] != version {
		t.Errorf("%s: got %v, want nearest %s:\n%s", other, row, version, out)
	}
	if row := catalogueRow(t, out, "nodejs20.x"); row[1] != "not" {
		t.Errorf("nodejs20.x with no node on PATH: got %v, want not installed", row)
	}
	out = run("--runtime-fallback", "refuse")
	if row := catalogueRow(t, out, other); row[1] != "refused" || !strings.Contains(strings.Join(row, " "), "not installed") {
		t.Errorf("%s with refuse: got %v:\n%s", other, row, out)
	}
}

// versionZip is a Python function that answers with the version it runs on.
func versionZip(t *testing.T) []byte {
	return zipFiles(t, map[string][]byte{"app.py": []byte(
		"import sys\n\ndef handler(event, context):\n    return {\"version\": \"%d.%d.%d\" % sys.version_info[:3]}\n")})
}

// startWithPath runs hearth whose PATH holds only path.
func startWithPath(t *testing.T, path string, args ...string) *hearth {
	t.Helper()
	h := &hearth{t: t, dataDir: t.TempDir(), addr: freeAddr(t), args: args}
	h.prepare = func(cmd *exec.Cmd) { cmd.Env = append(cmd.Env, "PATH="+path) }
	h.start()
	t.Cleanup(h.stop)
	return h
}

func TestRuntimeFallbackWarning(t *testing.T) {
	path, version, exact := hostPython(t)
	other := otherPython(exact)
	h := startWithPath(t, path)
	c := h.client()
	createFunction(t, c, "fallback", runtimeCase{"python", other, "app.handler", versionZip})
	createFunction(t, c, "exact", runtimeCase{"python", exact, "app.handler", versionZip})
	warning := "WARNING: runtime " + other + " is not installed on this Hearth host; running Python " + version
	cold := invoke(t, c, "fallback", map[string]any{})
	if cold.FunctionError != "" || cold.Payload["version"] != version {
		t.Fatalf("%s function: %s %s, want version %s", other, cold.FunctionError, cold.Raw, version)
	}
	invoke(t, c, "fallback", map[string]any{}) // warm: no second warning
	if lines, _ := h.logLines(t, "fallback", warning); len(lines) != 1 {
		t.Errorf("the function's log has %d WARNING lines %q, want 1 (one cold start)", len(lines), warning)
	}
	if ex := invoke(t, c, "exact", map[string]any{}); ex.Payload["version"] != version {
		t.Errorf("%s function: %s", exact, ex.Raw)
	}
	if lines, _ := h.logLines(t, "exact", "WARNING"); len(lines) != 0 {
		t.Errorf("%s function logged %q", exact, lines)
	}
}

func TestRuntimeFallbackRefuse(t *testing.T) {
	path, _, exact := hostPython(t)
	other := otherPython(exact)
	h := startWithPath(t, path, "--runtime-fallback", "refuse")
	c := h.client()
	createFunction(t, c, "refused", runtimeCase{"python", other, "app.handler", versionZip})
	out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("refused"), LogType: types.LogTypeTail})
	if err != nil {
		t.Fatal(err)
	}
	body := string(out.Payload)
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(body, `"errorType":"Runtime.Unavailable"`) ||
		!strings.Contains(body, "Runtime "+other+" is not available") || !strings.Contains(body, "hearth runtimes pull "+other) {
		t.Errorf("invoke of a refused runtime: %s %s", aws.ToString(out.FunctionError), body)
	}
	createFunction(t, c, "exact", runtimeCase{"python", exact, "app.handler", versionZip})
	if r := invoke(t, c, "exact", map[string]any{}); r.FunctionError != "" {
		t.Errorf("%s with refuse: %s", exact, r.Raw)
	}
}
