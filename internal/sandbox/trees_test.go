package sandbox

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// codeWithMarker makes a code directory with the test bootstrap and a marker.
func codeWithMarker(t *testing.T, marker string) string {
	t.Helper()
	dir := t.TempDir()
	prog, err := os.ReadFile(filepath.Join(codeDir, "testprog"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"testprog": prog, "marker": []byte(marker)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// allowedMount reports whether an environment on the host's directories
// may have a mount at path: its root, the host's system directories (and
// what is mounted below them on the host), /proc, /dev, /tmp, /etc/hosts,
// and its code at /var/task.
func allowedMount(path string) bool {
	switch path {
	case "/", "/proc", "/dev", "/tmp", "/etc/hosts", "/var/task":
		return true
	}
	for _, d := range []string{"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc"} {
		if path == "/"+d || strings.HasPrefix(path, "/"+d+"/") {
			return true
		}
	}
	return false
}

// TestIsolatedSeesOwnTask: environments started one after another from
// kept inits (code attached as a tree Hearth cloned, passed to the
// pivoted init) each see exactly their own code at /var/task, read-only,
// nosuid and nodev, no /var/runtime when they have none, no mount of an
// earlier environment or of the host beyond the shared system
// directories; they run in a Hearth cgroup from their first instruction,
// the one that carries their limits (memory sizes above, at and below
// the one an init is spawned with).
func TestIsolatedSeesOwnTask(t *testing.T) {
	m := newManager(t, "auto")
	// Memory sizes above, at and below the limit an init is spawned with.
	for _, tc := range []struct {
		marker string
		mb     int
	}{{"first", 192}, {"second", 128}, {"third", 64}} {
		marker := tc.marker
		dir := codeWithMarker(t, marker)
		waitFor(t, "a kept init", func() bool { return len(m.kept) >= 1 })
		var out buffer
		s := spec(m, &out, "task", "stay")
		s.CodeDir, s.MemoryMB = dir, tc.mb
		p := start(t, m, s)
		waitFor(t, "the task listing", func() bool { return strings.Contains(out.String(), "done") })
		got := out.String()
		lines := strings.Split(got, "\n")
		checkFirstCgroup(t, m, p, lines, tc.mb)
		for _, want := range []string{"task=marker,testprog err=<nil>", "marker=" + marker + "\n", "runtime=false"} {
			if !strings.Contains(got, want) {
				t.Errorf("%s: want %q in:\n%s", marker, want, got)
			}
		}
		var opts string
		for _, l := range lines {
			if v, ok := strings.CutPrefix(l, "taskopts="); ok {
				opts = v
			}
			if v, ok := strings.CutPrefix(l, "mount="); ok && !allowedMount(v) {
				t.Errorf("%s: unexpected mount %s", marker, v)
			}
		}
		for _, o := range []string{"ro", "nosuid", "nodev"} {
			if !slices.Contains(strings.Split(opts, ","), o) {
				t.Errorf("%s: /var/task mounted %q, want %s", marker, opts, o)
			}
		}
		if strings.Count(got, "mount=/var/task\n") != 1 {
			t.Errorf("%s: /var/task mounted other than once:\n%s", marker, got)
		}
	}
}

// checkFirstCgroup: the bootstrap's first lines name the (memory) cgroup
// it started in; it must be its environment's, or the placeholder that
// became it (renamed, same directory), and carry the environment's
// limits: memory (and memory with swap, when accounted) of mb MiB.
func checkFirstCgroup(t *testing.T, m *Manager, p *Process, lines []string, mb int) {
	t.Helper()
	key, dir, limit := "0::", p.cg.dirs[""], "/memory.max"
	if !m.cg.v2 {
		key, dir, limit = ":memory:", p.cg.dirs["memory"], "/memory.limit_in_bytes"
	}
	var first string
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "cgroup="); ok && strings.Contains(v, key) {
			_, first, _ = strings.Cut(v, key)
		}
	}
	parent := "/" + testCgroupParent + "/"
	if name, ok := strings.CutPrefix(first, parent); !ok || (name != p.id && !strings.HasPrefix(name, "init-")) {
		t.Errorf("the bootstrap started in cgroup %q, not its environment's", first)
	}
	if now := cgroupOf(t, p.pid, key); now != parent+p.id {
		t.Errorf("the bootstrap is in cgroup %q, want %q", now, parent+p.id)
	}
	limits := []string{limit}
	if !m.cg.v2 && m.cg.memsw {
		limits = append(limits, "/memory.memsw.limit_in_bytes")
	}
	for _, l := range limits {
		if b, err := os.ReadFile(dir + l); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(mb<<20) {
			t.Errorf("%s: %q, %v; want %d MiB", l, b, err, mb)
		}
	}
	pids := p.cg.dirs["pids"]
	if m.cg.v2 {
		pids = p.cg.dirs[""]
	}
	if b, err := os.ReadFile(pids + "/pids.max"); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(pidsLimit) {
		t.Errorf("pids.max: %q, %v; want %d", b, err, pidsLimit)
	}
}

// cgroupOf returns the cgroup path of pid for the /proc/PID/cgroup line key.
func cgroupOf(t *testing.T, pid int, key string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if _, v, ok := strings.Cut(l, key); ok {
			return v
		}
	}
	return ""
}

// TestKeptInitPivoted: a kept init has pivoted into its root before any
// function is known: its mount namespace holds only the shared root's
// mounts (no host root, no state directory, no /var/task yet), and its
// root directory is not the host's.
func TestKeptInitPivoted(t *testing.T) {
	m := newManager(t, "auto")
	waitFor(t, "a kept init", func() bool { return len(m.kept) >= 1 })
	pd := <-m.kept
	defer pd.close()
	pid := strconv.Itoa(pd.cmd.Process.Pid)
	mi, err := os.ReadFile("/proc/" + pid + "/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(string(mi)), "\n") {
		f := strings.Fields(l)
		if len(f) < 5 {
			t.Fatalf("mountinfo line %q", l)
		}
		n++
		if f[4] == "/var/task" || !allowedMount(f[4]) {
			t.Errorf("kept init has a mount at %s", f[4])
		}
	}
	if n < 4 {
		t.Errorf("kept init has %d mounts:\n%s", n, mi)
	}
	// The host's state directory, seen through the init's root, is gone.
	if _, err := os.Stat("/proc/" + pid + "/root" + m.opts.StateDir); err == nil {
		t.Errorf("the state directory %s is reachable from the kept init's root", m.opts.StateDir)
	}
	if _, err := os.Stat("/proc/" + pid + "/root/proc/1/status"); err != nil {
		t.Errorf("the kept init's root has no /proc of its own: %v", err)
	}
}
