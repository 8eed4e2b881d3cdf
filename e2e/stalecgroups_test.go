package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// TestStaleCgroupsRemoved kills a Hearth with kill -9 and deletes its data
// dir, so that no Hearth ever starts on it again: the next Hearth to start
// must remove the parent cgroup it left (with its environments' empty
// cgroups), while the parent of a Hearth that runs all along stays and
// serves.
func TestStaleCgroupsRemoved(t *testing.T) {
	requireRoot(t)
	dead := startHearth(t, "")
	live := startHearth(t, "")
	for _, h := range []*hearth{dead, live} {
		createFunction(t, h.client(), "stale", runtimeCases[0])
		invoke(t, h.client(), "stale", map[string]any{"action": "echo"})
	}
	envs := dead.environments(t, "stale")
	dead.kill9()
	if err := os.RemoveAll(dead.dataDir); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the killed Hearth's environments to end", func() bool {
		for _, e := range envs {
			if _, err := os.Stat(filepath.Join("/proc", itoa(e.Pid))); err == nil {
				return false
			}
		}
		return true
	})
	if len(readHostState(t, dead.dataDir).parents) == 0 {
		t.Fatal("the killed Hearth left no parent cgroup: nothing to test")
	}
	next := startHearth(t, "")
	if left := readHostState(t, dead.dataDir).parents; len(left) > 0 {
		t.Errorf("the parent cgroups of the killed Hearth stayed: %v\n%s", left, next.logs())
	}
	if len(readHostState(t, live.dataDir).parents) == 0 {
		t.Errorf("the parent cgroup of a live Hearth was removed")
	}
	if r := invoke(t, live.client(), "stale", map[string]any{"action": "echo"}); r.FunctionError != "" {
		t.Errorf("the live Hearth after the sweep: %s %s", r.FunctionError, r.Raw)
	}
}
