package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/testenv"
)

func decodeB64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("decode log result: %v", err)
	}
	return string(b)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// envSnapshot is one entry of GET /hearth/environments.
type envSnapshot struct {
	ID          string `json:"id"`
	Function    string `json:"function"`
	Version     string `json:"version"`
	State       string `json:"state"`
	Frozen      bool   `json:"frozen"`
	Provisioned bool   `json:"provisioned"`
	Pid         int    `json:"pid"`
}

// environments lists the live environments of a function.
func (h *hearth) environments(t *testing.T, function string) []envSnapshot {
	t.Helper()
	status, _, body := signedRequest(t, h, "GET", "/hearth/environments?function="+function, nil, testKeyID, testSecret, time.Now())
	if status != 200 {
		t.Fatalf("list environments: %d %v", status, body)
	}
	raw, _ := json.Marshal(body["Environments"])
	var out []envSnapshot
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// waitFrozen waits until every environment of the function reports frozen.
func waitFrozen(t *testing.T, h *hearth, function string) []envSnapshot {
	t.Helper()
	var envs []envSnapshot
	waitFor(t, "environments frozen", func() bool {
		envs = h.environments(t, function)
		for _, e := range envs {
			if !e.Frozen {
				return false
			}
		}
		return len(envs) > 0
	})
	return envs
}

// processFrozen checks with the kernel, not with Hearth, that the
// environment's processes are stopped: its freezer cgroup is FROZEN, or the
// process is in the stopped state.
func processFrozen(t *testing.T, e envSnapshot) bool {
	t.Helper()
	// Hearth asks the kernel to freeze and does not wait for the last task
	// to stop; give the kernel a moment.
	deadline := time.Now().Add(2 * time.Second)
	for !kernelFrozen(t, e) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

func kernelFrozen(t *testing.T, e envSnapshot) bool {
	t.Helper()
	if procStopped(t, e.Pid) {
		return true
	}
	cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", e.Pid))
	if err != nil {
		t.Fatalf("environment process %d: %v", e.Pid, err)
	}
	for _, line := range strings.Split(string(cg), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 && parts[1] == "freezer" && parts[2] != "/" {
			state, err := os.ReadFile("/sys/fs/cgroup/freezer" + parts[2] + "/freezer.state")
			return err == nil && strings.TrimSpace(string(state)) == "FROZEN"
		}
		if len(parts) == 3 && parts[0] == "0" && parts[2] != "/" && strings.Contains(parts[2], "hearth") {
			for _, root := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
				if ev, err := os.ReadFile(root + parts[2] + "/cgroup.events"); err == nil {
					return strings.Contains(string(ev), "frozen 1")
				}
			}
		}
	}
	return false
}

// procStopped reports whether a process is in the stopped state.
func procStopped(t *testing.T, pid int) bool {
	t.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] == "T"
}

func itoa(n int) string { return fmt.Sprint(n) }

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

// awsCommand is the AWS CLI against h with JSON output, alike under AWS CLI
// v1 and v2 (testenv.AWSCLI). The caller sets Env (h.awsEnv()).
func awsCommand(t testing.TB, h *hearth, args ...string) *exec.Cmd {
	t.Helper()
	base := append(testenv.AWSCLI(t), "--endpoint-url", h.endpoint(), "--output", "json")
	return exec.Command("aws", append(base, args...)...)
}
