package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cleanup removes what a previous run of Hearth left behind after dying
// without Close: process groups of plain environments, environment
// cgroups with their processes, mounts and stray directories in StateDir.
func (m *Manager) cleanup() {
	var killed, cgroupsRemoved, unmounted, links, loops, stale int
	killed = m.killRecorded()
	if m.cg != nil {
		cgroupsRemoved = m.cg.removeAll(m.log)
		links = removeLinks(m.opts.CgroupParent)
		stale = m.sweepStale()
	}
	unmounted = unmountUnder(m.opts.StateDir)
	loops = detachLoops(m.scratchDir)
	entries, _ := os.ReadDir(m.opts.StateDir)
	for _, e := range entries {
		p := filepath.Join(m.opts.StateDir, e.Name())
		if p != m.rootDir && p != m.procsDir && p != m.initDir {
			_ = os.RemoveAll(p)
		}
	}
	if killed+cgroupsRemoved+unmounted+links+loops > 0 {
		m.log.Info("sandbox: removed leftovers of a previous run", "process_groups", killed,
			"cgroups", cgroupsRemoved, "mounts", unmounted, "links", links, "loop_devices", loops)
	}
	if stale > 0 {
		m.log.Info("sandbox: removed the cgroups of Hearths that are gone", "parents", stale)
	}
}

// killRecorded kills the recorded plain-mode process groups whose leader
// is still the recorded process.
func (m *Manager) killRecorded() int {
	entries, _ := os.ReadDir(m.procsDir)
	n := 0
	for _, e := range entries {
		path := filepath.Join(m.procsDir, e.Name())
		b, _ := os.ReadFile(path)
		pidStr, start, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
		if pid, err := strconv.Atoi(pidStr); err == nil && pid > 1 && start != "" && startTime(pid) == start {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = signalIf(pid, syscall.SIGKILL, func() bool { return startTime(pid) == start })
			n++
		}
		_ = os.Remove(path)
	}
	return n
}

// removeAll kills the processes of every cgroup below the parent and
// removes the cgroups.
func (fs *cgroupFS) removeAll(log interface{ Warn(string, ...any) }) int {
	ids := map[string]bool{}
	var parents []string
	if fs.v2 {
		parents = []string{filepath.Join(fs.root, fs.parent)}
	} else {
		for _, c := range v1Controllers {
			parents = append(parents, filepath.Join(fs.v1[c], fs.parent))
		}
	}
	for _, p := range parents {
		entries, _ := os.ReadDir(p)
		for _, e := range entries {
			if e.IsDir() {
				ids[e.Name()] = true
			}
		}
	}
	for id := range ids {
		cg := &cgroup{fs: fs, dirs: map[string]string{}}
		if fs.v2 {
			cg.dirs[""] = fs.dir("", id)
		} else {
			for _, c := range v1Controllers {
				if d := fs.dir(c, id); exists(d) {
					cg.dirs[c] = d
				}
			}
		}
		cg.killAll()
		if err := cg.remove(); err != nil {
			log.Warn("sandbox: leftover cgroup not removed", "id", id, "err", err)
		}
	}
	return len(ids)
}

// killAll thaws the cgroup and kills its processes until it is empty.
func (cg *cgroup) killAll() {
	if cg.fs.v2 {
		_ = writeFile(cg.dirs[""]+"/cgroup.freeze", "0")
		_ = writeFile(cg.dirs[""]+"/cgroup.kill", "1") // 5.14+; the loop covers older kernels
	} else if d := cg.dirs["freezer"]; d != "" {
		_ = writeFile(d+"/freezer.state", "THAWED")
	}
	for i := 0; i < 500; i++ {
		var pids []int
		for _, d := range cg.dirs {
			pids = append(pids, readPids(d+"/cgroup.procs")...)
		}
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			_ = signalIf(pid, syscall.SIGKILL, func() bool { return cg.has(pid) })
		}
		time.Sleep(time.Millisecond)
	}
}

// detachLoops detaches the loop devices backed by files in dir (images
// of /tmp disks; autoclear normally detaches them with their mount) and
// returns how many there were.
func detachLoops(dir string) int {
	files, _ := filepath.Glob("/sys/block/loop*/loop/backing_file")
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || !strings.HasPrefix(string(b), dir+"/") {
			continue
		}
		dev := "/dev/" + filepath.Base(filepath.Dir(filepath.Dir(f)))
		lf, err := os.OpenFile(dev, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if unix.IoctlSetInt(int(lf.Fd()), unix.LOOP_CLR_FD, 0) == nil {
			n++
		}
		_ = lf.Close()
	}
	return n
}

// removeParents removes the parent cgroup in every hierarchy; the
// environments' cgroups must be gone.
func (fs *cgroupFS) removeParents() error {
	var errs []error
	if fs.v2 {
		errs = append(errs, rmdirGone(filepath.Join(fs.root, fs.parent)))
	} else {
		for _, c := range v1Controllers {
			errs = append(errs, rmdirGone(filepath.Join(fs.v1[c], fs.parent)))
		}
	}
	return errors.Join(errs...)
}

func rmdirGone(dir string) error {
	if err := syscall.Rmdir(dir); err != nil && !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("remove cgroup %s: %w", dir, err)
	}
	return nil
}

// has reports whether pid is listed in any hierarchy of the cgroup.
func (cg *cgroup) has(pid int) bool {
	for _, d := range cg.dirs {
		if slices.Contains(readPids(d+"/cgroup.procs"), pid) {
			return true
		}
	}
	return false
}

// unmountUnder detaches every mount at or below dir, deepest first.
func unmountUnder(dir string) int {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	var mps []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			mps = append(mps, mp)
		}
	}
	sort.Slice(mps, func(i, j int) bool { return len(mps[i]) > len(mps[j]) })
	n := 0
	for _, mp := range mps {
		if unix.Unmount(mp, unix.MNT_DETACH) == nil {
			n++
		}
	}
	return n
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space...).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
