package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// TestMissingFailsUnlessAllowed runs Missing in a child test process with
// and without the variable and checks the outcome.
func TestMissingFailsUnlessAllowed(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") == "1" {
		Missing(t, "a tool")
		return
	}
	for _, c := range []struct {
		allow  string
		failed bool
	}{{"", true}, {"1", false}, {"0", true}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissingFailsUnlessAllowed$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", AllowSkipEnv+"="+c.allow)
		out, err := cmd.CombinedOutput()
		if failed := err != nil; failed != c.failed {
			t.Errorf("%s=%q: failed=%v, want %v\n%s", AllowSkipEnv, c.allow, failed, c.failed, out)
		}
	}
}
