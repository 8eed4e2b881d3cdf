package sandbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/cgroups/v3"
)

// cgroupFS knows where the controllers Hearth uses are mounted. The files
// are written directly rather than through containerd's cgroup1/cgroup2
// managers: creating an environment's cgroup is on the cold-start path, and
// cgroup1.New creates a directory in every mounted hierarchy (cpuset, blkio,
// devices...), which costs a mkdir each and buys nothing here.
type cgroupFS struct {
	v2     bool
	root   string            // v2: the unified mount point
	v1     map[string]string // v1: controller -> mount point of its hierarchy
	memsw  bool              // v1: memory.memsw.* exists (swap accounting)
	parent string            // relative parent of every environment cgroup
}

// limits are what one environment's cgroup enforces.
type limits struct {
	memoryBytes int64
	pids        int
	cpuShares   int   // v1 shares; converted to a v2 weight
	cpuQuotaUS  int64 // 0 = no hard quota; period is cfsPeriodUS
}

const cfsPeriodUS = 100000

var v1Controllers = []string{"memory", "freezer", "pids", "cpu"}

// detectCgroups returns the cgroup layout, or an error saying what is
// missing for isolation.
func detectCgroups(parent string) (*cgroupFS, error) {
	fs := &cgroupFS{parent: parent}
	switch cgroups.Mode() {
	case cgroups.Unified:
		fs.v2, fs.root = true, "/sys/fs/cgroup"
		b, err := os.ReadFile(filepath.Join(fs.root, "cgroup.controllers"))
		if err != nil {
			return nil, fmt.Errorf("read cgroup v2 controllers: %w", err)
		}
		have := strings.Fields(string(b))
		for _, c := range []string{"memory", "pids", "cpu"} {
			if !contains(have, c) {
				return nil, fmt.Errorf("cgroup v2 controller %q not available", c)
			}
		}
		if _, err := os.Stat(filepath.Join(fs.root, "cgroup.freeze")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("cgroup v2 freezer: %w", err)
		}
		for _, dir := range []string{fs.root, filepath.Join(fs.root, parent)} {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("create cgroup parent: %w", err)
			}
			if err := writeFile(filepath.Join(dir, "cgroup.subtree_control"), "+memory +pids +cpu"); err != nil {
				return nil, fmt.Errorf("enable cgroup v2 controllers in %s: %w", dir, err)
			}
		}
		return fs, nil
	case cgroups.Legacy, cgroups.Hybrid:
		m, err := v1Mounts()
		if err != nil {
			return nil, err
		}
		fs.v1 = m
		for _, c := range v1Controllers {
			if m[c] == "" {
				return nil, fmt.Errorf("cgroup v1 controller %q not mounted", c)
			}
			if err := os.MkdirAll(filepath.Join(m[c], parent), 0o755); err != nil {
				return nil, fmt.Errorf("create cgroup parent: %w", err)
			}
		}
		_, err = os.Stat(filepath.Join(m["memory"], "memory.memsw.limit_in_bytes"))
		fs.memsw = err == nil
		return fs, nil
	default:
		return nil, errors.New("no cgroup filesystem mounted")
	}
}

// v1Mounts maps each v1 controller to the mount point of its hierarchy.
func v1Mounts() (map[string]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent maj:min root mountpoint opts [optional...] - fstype source superopts
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 3 || qf[0] != "cgroup" {
			continue
		}
		for _, opt := range strings.Split(qf[2], ",") {
			if contains(v1Controllers, opt) && m[opt] == "" {
				m[opt] = pf[4]
			}
		}
	}
	return m, sc.Err()
}

// cgroup is one environment's cgroup (one directory per v1 hierarchy).
type cgroup struct {
	fs   *cgroupFS
	dirs map[string]string // v1: controller -> dir; v2: "" -> dir
	// procs and peakMem are kept open: a freeze reads the task list twice,
	// the end of every invocation reads the peak.
	procs, peakMem *keptFile
}

func (fs *cgroupFS) dir(controller, id string) string {
	if fs.v2 {
		return filepath.Join(fs.root, fs.parent, id)
	}
	return filepath.Join(fs.v1[controller], fs.parent, id)
}

// create makes the (unlimited) cgroup named id.
func (fs *cgroupFS) create(id string) (*cgroup, error) {
	cg := &cgroup{fs: fs, dirs: map[string]string{}}
	if fs.v2 {
		cg.dirs[""] = fs.dir("", id)
	} else {
		for _, c := range v1Controllers {
			cg.dirs[c] = fs.dir(c, id)
		}
	}
	for _, d := range cg.dirs {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			_ = cg.remove()
			return nil, fmt.Errorf("create cgroup %s: %w", d, err)
		}
	}
	cg.keepFiles()
	return cg, nil
}

// keepFiles names the files read on every invocation; they open on first
// read.
func (cg *cgroup) keepFiles() {
	if cg.fs.v2 {
		cg.procs = &keptFile{path: cg.dirs[""] + "/cgroup.procs"}
		cg.peakMem = &keptFile{path: cg.dirs[""] + "/memory.peak"}
	} else {
		cg.procs = &keptFile{path: cg.dirs["pids"] + "/cgroup.procs"}
		cg.peakMem = &keptFile{path: cg.dirs["memory"] + "/memory.max_usage_in_bytes"}
	}
}

// closeFiles closes the kept files.
func (cg *cgroup) closeFiles() {
	if cg.procs != nil {
		cg.procs.close()
		cg.peakMem.close()
	}
}

// rename gives the cgroup the name id (kept inits are created under a
// placeholder name before their environment is known).
func (cg *cgroup) rename(id string) error {
	for c, d := range cg.dirs {
		nd := cg.fs.dir(c, id)
		if err := os.Rename(d, nd); err != nil {
			return fmt.Errorf("rename cgroup %s: %w", d, err)
		}
		cg.dirs[c] = nd
	}
	cg.closeFiles()
	cg.keepFiles()
	return nil
}

// apply sets the environment's memory and pids limits.
func (cg *cgroup) apply(lim limits) error {
	mem := strconv.FormatInt(lim.memoryBytes, 10)
	var files [][2]string
	if cg.fs.v2 {
		d := cg.dirs[""]
		files = [][2]string{
			{d + "/memory.max", mem},
			{d + "/memory.swap.max", "0"},
			{d + "/memory.oom.group", "1"},
			{d + "/pids.max", strconv.Itoa(lim.pids)},
		}
	} else {
		files = [][2]string{
			{cg.dirs["memory"] + "/memory.limit_in_bytes", mem},
			{cg.dirs["pids"] + "/pids.max", strconv.Itoa(lim.pids)},
		}
		if cg.fs.memsw {
			files = append(files, [2]string{cg.dirs["memory"] + "/memory.memsw.limit_in_bytes", mem})
		} else {
			files = append(files, [2]string{cg.dirs["memory"] + "/memory.swappiness", "0"})
		}
	}
	return writeAll(files)
}

// applyCPU sets the CPU weight and quota. Start calls it once the
// bootstrap runs: Hearth's own setup work in the init should not be
// slowed down by a small function's share when the machine is busy.
func (cg *cgroup) applyCPU(lim limits) error {
	var files [][2]string
	if cg.fs.v2 {
		d := cg.dirs[""]
		weight := 1 + (lim.cpuShares-2)*9999/262142 // the shares->weight mapping of runc and systemd
		files = [][2]string{{d + "/cpu.weight", strconv.Itoa(max(1, weight))}}
		if lim.cpuQuotaUS > 0 {
			files = append(files, [2]string{d + "/cpu.max", fmt.Sprintf("%d %d", lim.cpuQuotaUS, cfsPeriodUS)})
		}
	} else {
		files = [][2]string{{cg.dirs["cpu"] + "/cpu.shares", strconv.Itoa(lim.cpuShares)}}
		if lim.cpuQuotaUS > 0 {
			files = append(files, [2]string{cg.dirs["cpu"] + "/cpu.cfs_quota_us", strconv.FormatInt(lim.cpuQuotaUS, 10)})
		}
	}
	return writeAll(files)
}

func writeAll(files [][2]string) error {
	for _, f := range files {
		if err := writeFile(f[0], f[1]); err != nil {
			return fmt.Errorf("set cgroup %s: %w", filepath.Base(f[0]), err)
		}
	}
	return nil
}

// resetPeak starts the peak-memory record afresh, so that it counts the
// bootstrap and not the init it replaced (v1 only; v2's memory.peak is
// reset per open file, which does not help a later reader).
func (cg *cgroup) resetPeak() {
	if !cg.fs.v2 {
		_ = writeFile(cg.dirs["memory"]+"/memory.max_usage_in_bytes", "0")
	}
}

// procsFiles are the cgroup.procs files a process writes "0" to in order to
// join this cgroup (v1; v2 clones straight into it).
func (cg *cgroup) procsFiles() []string {
	var out []string
	for _, d := range cg.dirs {
		out = append(out, d+"/cgroup.procs")
	}
	return out
}

// freeze asks the kernel to freeze (or thaw) every task of the cgroup. It
// does not wait for the freeze to complete: the next thaw cancels one still
// under way, and waitFrozen is there for whoever must know.
func (cg *cgroup) freeze(frozen bool) error {
	file, want, _, _ := cg.freezerFiles(frozen)
	if err := writeFile(file, want); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}

// freezerFiles names the file to write and the state to expect.
func (cg *cgroup) freezerFiles(frozen bool) (file, want, check, checkWant string) {
	if cg.fs.v2 {
		file, want = cg.dirs[""]+"/cgroup.freeze", "0"
		check, checkWant = cg.dirs[""]+"/cgroup.events", "frozen 0"
		if frozen {
			want, checkWant = "1", "frozen 1"
		}
	} else {
		file, want = cg.dirs["freezer"]+"/freezer.state", "THAWED"
		check, checkWant = file, "THAWED"
		if frozen {
			want, checkWant = "FROZEN", "FROZEN"
		}
	}
	return file, want, check, checkWant
}

// waitFrozen waits until the cgroup's tasks are all frozen.
func (cg *cgroup) waitFrozen(timeout time.Duration) error {
	_, _, check, checkWant := cg.freezerFiles(true)
	deadline := time.Now().Add(timeout)
	for i := 0; ; i++ {
		b, err := os.ReadFile(check)
		if err != nil {
			return fmt.Errorf("read %s: %w", check, err)
		}
		if bytes.Contains(b, []byte(checkWant)) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %s not %s", ErrFreezeTimeout, check, checkWant)
		}
		if i > 20 {
			time.Sleep(50 * time.Microsecond)
		}
	}
}

// oomKilled reports whether the kernel OOM-killed a task of the cgroup.
func (cg *cgroup) oomKilled() bool {
	if cg.fs.v2 {
		return readKey(cg.dirs[""]+"/memory.events", "oom_kill") > 0
	}
	b, err := os.ReadFile(cg.dirs["memory"] + "/memory.oom_control")
	if err != nil {
		return false
	}
	if bytes.Contains(b, []byte("oom_kill ")) {
		return readKeyBytes(b, "oom_kill") > 0
	}
	// Kernels before 4.13 have no oom_kill counter: hitting the limit is
	// the best evidence there is.
	return readUint(cg.dirs["memory"]+"/memory.failcnt") > 0
}

// peak is the cgroup's maximum memory usage in bytes (0 if unknown).
func (cg *cgroup) peak() uint64 { return cg.peakMem.uintValue() }

// pids lists the processes in the cgroup (host PIDs).
func (cg *cgroup) pids() []int { return cg.procs.pidList() }

// onlyPid reports whether pid is the cgroup's one process.
func (cg *cgroup) onlyPid(pid int) bool { return cg.procs.isOnlyPid(pid) }

// remove deletes the cgroup; the tasks must be gone. An emptied cgroup can
// stay busy for a moment while the last task is reaped, hence the retries.
func (cg *cgroup) remove() error {
	cg.closeFiles()
	var errs []error
	for _, d := range cg.dirs {
		var err error
		for i := 0; i < 200; i++ {
			err = syscall.Rmdir(d)
			if err == nil || errors.Is(err, syscall.ENOENT) {
				err = nil
				break
			}
			if !errors.Is(err, syscall.EBUSY) {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("remove cgroup %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}
