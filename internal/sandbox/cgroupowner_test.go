package sandbox

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hearth-run/hearth/internal/testenv"
)

// TestSweepStaleParents starts a Manager beside what other Hearths left
// or hold, each a parent named as CgroupParentFor names it, with a child
// cgroup: the one of a Hearth that is gone must be removed; the one a live
// Manager holds (empty, so only its owner lock protects it), the one of a
// data dir whose store is flocked (a Hearth from before the owner locks)
// and one with a process in it must stay.
func TestSweepStaleParents(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.NeedRoot(t, "cgroups")
	}
	opts := func(parent string) Options {
		return Options{StateDir: t.TempDir(), CgroupParent: parent, Prestart: -1,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	}
	holder, err := New(opts(CgroupParentFor(t.TempDir())))
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if !holder.Isolated() {
		t.Fatal("running as root but the manager does not isolate")
	}
	fs := holder.cg
	makeParent := func(name string) {
		for _, root := range fs.roots() {
			if err := os.MkdirAll(filepath.Join(root, name, "env"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() {
			for _, root := range fs.roots() {
				_ = removeTree(filepath.Join(root, name))
			}
		})
	}
	gone := CgroupParentFor(t.TempDir())
	makeParent(gone)
	held := holder.opts.CgroupParent
	makeParent(held + "x") // not a name CgroupParentFor gives: never touched
	legacyDir := t.TempDir()
	legacy := CgroupParentFor(legacyDir)
	makeParent(legacy)
	store, err := os.Create(filepath.Join(legacyDir, StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := unix.Flock(int(store.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	busy := CgroupParentFor(t.TempDir())
	makeParent(busy)
	startIn(t, filepath.Join(fs.roots()[0], busy, "env"))
	for _, root := range fs.roots() {
		if hasProcesses(filepath.Join(root, held)) {
			t.Fatalf("the live Manager's parent %s has processes: only its owner lock should protect it", held)
		}
	}

	m, err := New(opts(CgroupParentFor(t.TempDir())))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, tc := range []struct {
		name   string
		parent string
		stays  bool
	}{
		{"gone", gone, false},
		{"held by a live Manager", held, true},
		{"another name", held + "x", true},
		{"store flocked", legacy, true},
		{"process inside", busy, true},
	} {
		for _, root := range fs.roots() {
			if got := exists(filepath.Join(root, tc.parent)); got != tc.stays {
				t.Errorf("%s: %s exists: %v, want %v", tc.name, filepath.Join(root, tc.parent), got, tc.stays)
			}
		}
	}
}

// startIn starts a sleeping process in the cgroup dir.
func startIn(t *testing.T, dir string) *os.Process {
	t.Helper()
	p, err := os.StartProcess("/bin/sleep", []string{"sleep", "60"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Kill(); _, _ = p.Wait() })
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(p.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
