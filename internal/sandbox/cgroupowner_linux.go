package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// A Hearth killed with kill -9 leaves its parent cgroup behind, with the
// empty cgroups of its environments and kept inits; the next Hearth on the
// same data dir removes them (cleanup), but one whose data dir is gone
// never comes. Every Hearth therefore holds its parent with a shared flock
// on a file named after it in a host-wide directory, taken before the
// parent is created and held while Hearth runs (the kernel drops it when
// the process dies). At start, after its own leftovers, a Hearth sweeps
// the other parents named as CgroupParentFor names them: one is removed
// only if
//   - an exclusive flock on its file succeeds (no Hearth holds it; the
//     sweep keeps the lock while it removes, so an owner that starts then
//     waits, and re-creates the parent after);
//   - no live process holds a flock on a data dir's StoreFile whose dir is
//     named so (a Hearth from before the owner locks);
//   - no process is in it or below it, in any hierarchy.
// The sweep removes the empty cgroups below it, deepest first, then it.

// ownerLockDir is where Hearths hold their parent cgroups.
func ownerLockDir() string {
	if fi, err := os.Stat("/run"); err == nil && fi.IsDir() {
		return "/run/hearth/cgroups"
	}
	return filepath.Join(os.TempDir(), "hearth-cgroups")
}

// holdParent takes the owner lock of parent, waiting while a sweep holds
// it, and returns the file that holds it.
func holdParent(parent string) (*os.File, error) {
	dir := ownerLockDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cgroup owner lock dir: %w", err)
	}
	path := filepath.Join(dir, parent)
	for range 100 {
		f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("cgroup owner lock %s: %w", parent, err)
		}
		if err := flock(f, unix.LOCK_SH); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("cgroup owner lock %s: %w", parent, err)
		}
		// A sweep may have removed the file between the open and the
		// lock: only the file at path is the owner's.
		if sameFile(f, path) {
			return f, nil
		}
		_ = f.Close()
	}
	return nil, fmt.Errorf("cgroup owner lock %s: the file keeps being replaced", parent)
}

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// sameFile reports whether f is the file at path.
func sameFile(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// sweepStale removes the stale parents of other Hearths and returns how
// many it removed.
func (m *Manager) sweepStale() int {
	live, ok := liveStoreParents()
	if !ok {
		return 0 // without /proc/locks nothing can be proven
	}
	names := map[string]bool{}
	for _, root := range m.cg.roots() {
		entries, _ := os.ReadDir(root)
		for _, e := range entries {
			if e.IsDir() && isDataDirParent(e.Name()) {
				names[e.Name()] = true
			}
		}
	}
	locks, _ := os.ReadDir(ownerLockDir())
	for _, e := range locks {
		if isDataDirParent(e.Name()) {
			names[e.Name()] = true
		}
	}
	delete(names, m.opts.CgroupParent)
	n := 0
	for name := range names {
		if !live[name] && m.cg.removeStale(name) {
			n++
		}
	}
	return n
}

// roots are the directories that hold the parents, one per hierarchy.
func (fs *cgroupFS) roots() []string {
	if fs.v2 {
		return []string{fs.root}
	}
	var roots []string
	for _, c := range v1Controllers {
		roots = append(roots, fs.v1[c])
	}
	return roots
}

// removeStale removes the parent named name, with the empty cgroups below
// it, if no Hearth holds it and no process is in it; it reports whether it
// had anything to remove.
func (fs *cgroupFS) removeStale(name string) bool {
	path := filepath.Join(ownerLockDir(), name)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return false
	}
	defer f.Close()
	if flock(f, unix.LOCK_EX|unix.LOCK_NB) != nil || !sameFile(f, path) {
		return false // a Hearth holds it, or another sweep replaced it
	}
	var dirs []string
	for _, root := range fs.roots() {
		if d := filepath.Join(root, name); exists(d) {
			dirs = append(dirs, d)
		}
	}
	for _, d := range dirs {
		if hasProcesses(d) {
			return false
		}
	}
	for _, d := range dirs {
		if err := removeTree(d); err != nil {
			return false
		}
	}
	_ = os.Remove(path) // under the lock: an owner waiting on it sees it gone and makes another
	return len(dirs) > 0
}

// hasProcesses reports whether a process is in the cgroup dir or below.
func hasProcesses(dir string) bool {
	found := false
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || found {
			return filepath.SkipAll
		}
		if d.IsDir() && len(readPids(filepath.Join(p, "cgroup.procs"))) > 0 {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// removeTree removes the cgroup dir and the cgroups below it, deepest
// first; the kernel refuses one that holds a process.
func removeTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return rmdirGone(dir)
}

// liveStoreParents returns the parents of the live Hearths that may not
// hold an owner lock: every process holding a flock on a StoreFile names
// its data dir. ok is false when the locks cannot be read.
func liveStoreParents() (map[string]bool, bool) {
	f, err := os.Open("/proc/locks")
	if err != nil {
		return nil, false
	}
	defer f.Close()
	pids := map[int]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; a waiter
		// has "->" after the number.
		fields := strings.Fields(strings.Replace(sc.Text(), "->", "", 1))
		if len(fields) >= 5 && fields[1] == "FLOCK" {
			if pid, err := strconv.Atoi(fields[4]); err == nil {
				pids[pid] = true
			}
		}
	}
	if sc.Err() != nil {
		return nil, false
	}
	live := map[string]bool{}
	for pid := range pids {
		fdDir := "/proc/" + strconv.Itoa(pid) + "/fd"
		fds, _ := os.ReadDir(fdDir)
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err == nil && filepath.Base(target) == StoreFile {
				live[CgroupParentFor(filepath.Dir(target))] = true
			}
		}
	}
	return live, true
}
