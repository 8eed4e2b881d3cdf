// Package testenv says what Hearth's tests need from the machine — root,
// the AWS CLI, python3 with boto3, node — and what happens when it is
// missing. Under `make test` and in CI a missing requirement fails the
// test, so that a run without them cannot pass by skipping; a developer
// who knowingly lacks one sets HEARTH_TEST_ALLOW_SKIP=1 to skip instead.
// .ci/run never sets it.
package testenv

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// AllowSkipEnv is the variable that turns missing requirements into skips.
const AllowSkipEnv = "HEARTH_TEST_ALLOW_SKIP"

// Missing fails t, or skips it when AllowSkipEnv is 1, saying what is
// missing and why the test needs it.
func Missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv(AllowSkipEnv) == "1" {
		t.Skip(what)
	}
	t.Fatalf("%s (set %s=1 to skip tests whose requirements are missing)", what, AllowSkipEnv)
}

// NeedRoot requires root; why says what the test does with it.
func NeedRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "needs root: "+why)
	}
}

// NeedCommand requires an executable on PATH and returns its path.
func NeedCommand(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" is not installed: "+err.Error())
	}
	return path
}

// NeedPython requires python3 that can import each module, and returns
// its path.
func NeedPython(t testing.TB, modules ...string) string {
	t.Helper()
	py := NeedCommand(t, "python3")
	for _, m := range modules {
		if out, err := exec.Command(py, "-c", "import "+m).CombinedOutput(); err != nil {
			Missing(t, "python3 cannot import "+m+": "+strings.TrimSpace(string(out)))
		}
	}
	return py
}

var (
	cliOnce    sync.Once
	cliVersion string
)

// AWSCLI requires the AWS CLI and returns the arguments to put before any
// command so that version 1 and version 2 behave alike: version 2 reads
// blob parameters such as invoke's --payload as base64 unless told
// otherwise.
func AWSCLI(t testing.TB) []string {
	t.Helper()
	aws := NeedCommand(t, "aws")
	cliOnce.Do(func() {
		out, _ := exec.Command(aws, "--version").CombinedOutput()
		cliVersion = string(out)
	})
	if strings.HasPrefix(strings.TrimSpace(cliVersion), "aws-cli/1.") {
		return nil
	}
	return []string{"--cli-binary-format", "raw-in-base64-out"}
}
