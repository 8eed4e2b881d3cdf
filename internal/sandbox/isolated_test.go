package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// These tests need root: namespaces, mounts and cgroups. newManager skips
// them, saying so, when not root.

func TestIsolatedView(t *testing.T) {
	m := newManager(t, "auto")
	sibling := t.TempDir()
	if err := os.WriteFile(filepath.Join(sibling, "secret"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out buffer
	s := spec(m, &out, "probe")
	hidden := []string{m.opts.StateDir, sibling, sibling + "/secret", codeDir, "/root", "/work", "/home", "/sys/fs/cgroup"}
	s.Env = append(s.Env, "PROBE_PATHS="+strings.Join(hidden, ":"))
	p := start(t, m, s)
	waitDone(t, p)
	if err := p.ExitError(); err != nil {
		t.Fatalf("probe failed: %v\n%s", err, out.String())
	}
	got := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		for _, f := range strings.Fields(sc.Text()) {
			if k, v, ok := strings.Cut(f, "="); ok {
				got[k] = v
			}
		}
		if k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "exists "), "="); ok && strings.HasPrefix(sc.Text(), "exists ") {
			got["exists "+k] = v
		}
	}
	want := map[string]string{
		"pid":       "1",
		"pids":      "1",
		"uid":       strconv.Itoa(p.UID()),
		"gid":       strconv.Itoa(p.UID()),
		"writetask": "false",
		"nofile":    "1024",
		"CapEff:":   "",
		"hostname":  "localhost",
		"python":    "true",
	}
	for k, v := range want {
		if k == "CapEff:" {
			if !strings.Contains(out.String(), "CapEff:0000000000000000") || !strings.Contains(out.String(), "NoNewPrivs:1") {
				t.Errorf("capabilities or no_new_privs not dropped:\n%s", out.String())
			}
			continue
		}
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, h := range hidden {
		if got["exists "+h] != "false" {
			t.Errorf("%s visible inside the environment (%q)", h, got["exists "+h])
		}
	}
}

func TestIsolatedMemoryLimit(t *testing.T) {
	m := newManager(t, "auto")
	var out buffer
	s := spec(m, &out, "mem", "200")
	s.MemoryMB = 48
	p := start(t, m, s)
	waitDone(t, p)
	if err := p.ExitError(); err == nil || err.Error() != "signal: killed" {
		t.Errorf("ExitError = %v, want signal: killed (output %q)", err, out.String())
	}
	if !p.OOMKilled() {
		t.Error("OOMKilled = false")
	}
	if peak := p.MaxMemoryBytes(); peak < 40<<20 || peak > 49<<20 {
		t.Errorf("MaxMemoryBytes = %d, want near the 48 MB limit", peak)
	}
}

func TestIsolatedPidsLimit(t *testing.T) {
	m := newManager(t, "auto")
	var out buffer
	s := spec(m, &out, "forkbomb")
	s.MemoryMB = 2048
	p := start(t, m, s)
	waitFor(t, "the fork bomb to give up", func() bool { return strings.Contains(out.String(), "spawned") })
	if !strings.Contains(out.String(), "resource temporarily unavailable") {
		t.Errorf("fork bomb was not stopped by the pids limit: %q", out.String())
	}
	if n := len(p.cg.pids()); n > pidsLimit {
		t.Errorf("%d processes in the cgroup, limit %d", n, pidsLimit)
	}
	p.Stop(0)
	if n := len(p.cg.pids()); n != 0 {
		t.Errorf("%d processes left after Stop", n)
	}
}

func TestIsolatedTmpFull(t *testing.T) {
	m := newManager(t, "auto")
	var out buffer
	s := spec(m, &out, "filltmp")
	s.EphemeralMB = 8
	p := start(t, m, s)
	waitDone(t, p)
	p.Stop(0) // the output copier has finished
	// The ext4 of a disk-backed /tmp keeps a little for itself.
	var mb int
	if _, err := fmt.Sscanf(out.String(), "wrote %d MB", &mb); err != nil || mb < 6 || mb > 8 || !strings.Contains(out.String(), "no space left on device") {
		t.Errorf("filling /tmp: %q, want 6 to 8 MB then ENOSPC", out.String())
	}
}

func TestIsolatedNetworkNone(t *testing.T) {
	m := newManager(t, "auto")
	var out buffer
	s := spec(m, &out, "hello")
	s.Network = "none"
	p := start(t, m, s)
	ln, addr := p.RuntimeAPI()
	if addr != "127.0.0.1:9001" {
		t.Errorf("addr = %q", addr)
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	waitDone(t, p)
	if err := p.ExitError(); err != nil {
		t.Errorf("bootstrap could not reach the Runtime API: %v %s", err, out.String())
	}
}

// mountsUnder lists the host's mount points at or below dir.
func mountsUnder(t *testing.T, dir string) []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir) {
			out = append(out, f[4])
		}
	}
	return out
}

func TestIsolatedNoLeftovers(t *testing.T) {
	m := newManager(t, "auto")
	p := start(t, m, spec(m, nil, "tree"))
	time.Sleep(20 * time.Millisecond)
	dirs := p.cg.dirs
	p.Stop(0)
	for _, d := range dirs {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("cgroup %s still exists (%v)", d, err)
		}
	}
	if mps := mountsUnder(t, m.opts.StateDir); len(mps) > 0 {
		t.Errorf("mounts left: %v", mps)
	}
	if st := procState(p.Pid()); st != 0 {
		t.Errorf("bootstrap pid %d still present in state %c", p.Pid(), st)
	}
}

func TestIsolatedNewCleansLeftovers(t *testing.T) {
	m := newManager(t, "auto")
	state := m.opts.StateDir
	// A leftover cgroup holding a live process and a leftover mount.
	cg, err := m.cg.create("leftover")
	if err != nil {
		t.Fatal(err)
	}
	if err := cg.apply(limits{memoryBytes: 64 << 20, pids: 10, cpuShares: 100}); err != nil {
		t.Fatal(err)
	}
	sleeper := exec.Command("/bin/sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer sleeper.Process.Kill()
	for _, f := range cg.procsFiles() {
		if err := writeFile(f, strconv.Itoa(sleeper.Process.Pid)); err != nil {
			t.Fatal(err)
		}
	}
	if err := cg.freeze(true); err != nil {
		t.Fatal(err)
	}
	mp := filepath.Join(state, "leftover")
	if err := os.Mkdir(mp, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", mp, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	m2, err := New(Options{StateDir: state, CgroupParent: testCgroupParent, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if err := sleeper.Wait(); err == nil || err.Error() != "signal: killed" {
		t.Errorf("leftover process: %v, want killed", err)
	}
	for _, d := range cg.dirs {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("leftover cgroup %s still exists", d)
		}
	}
	if mps := mountsUnder(t, state); len(mps) > 0 {
		t.Errorf("leftover mounts: %v", mps)
	}
	if _, err := os.Stat(mp); !os.IsNotExist(err) {
		t.Errorf("leftover dir %s still exists", mp)
	}
}

func TestIsolatedUIDPerEnvironment(t *testing.T) {
	m := newManager(t, "auto")
	a := start(t, m, spec(m, nil, "sleep"))
	b := start(t, m, spec(m, nil, "sleep"))
	if a.UID() < defaultFirstUID || b.UID() < defaultFirstUID || a.UID() == b.UID() {
		t.Fatalf("uids %d and %d: want two different uids from %d", a.UID(), b.UID(), defaultFirstUID)
	}
	for _, p := range []*Process{a, b} {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
		_, rest, _ := strings.Cut(string(b), "\nUid:")
		if got := strings.Fields(rest); len(got) < 4 || got[0] != strconv.Itoa(p.UID()) || got[3] != got[0] {
			t.Errorf("bootstrap %d runs as uids %v, want %d", p.Pid(), got, p.UID())
		}
	}
	uid := a.UID()
	a.Stop(0)
	// The uid is free again: a lock on it succeeds.
	f, err := os.OpenFile(filepath.Join(m.uids.dir, strconv.Itoa(uid)), os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Errorf("uid %d still held after Stop: %v", uid, err)
	}
}

// TestSignalOnlyMembers: a PID that is not (or no longer) a process of the
// environment's cgroup gets no signal, as a recycled PID would not.
func TestSignalOnlyMembers(t *testing.T) {
	m := newManager(t, "auto")
	p := start(t, m, spec(m, nil, "sleep"))
	outsider := exec.Command("/bin/sleep", "60")
	if err := outsider.Start(); err != nil {
		t.Fatal(err)
	}
	defer outsider.Process.Kill()
	if err := signalMember(p.cg, outsider.Process.Pid, syscall.SIGKILL); err != syscall.ESRCH {
		t.Errorf("signalMember(outsider) = %v, want ESRCH", err)
	}
	if procState(outsider.Process.Pid) == 0 || procState(outsider.Process.Pid) == 'Z' {
		t.Fatal("the outsider was killed")
	}
	if err := signalMember(p.cg, p.Pid(), syscall.SIGKILL); err != nil {
		t.Errorf("signalMember(bootstrap) = %v", err)
	}
	waitDone(t, p)
	p.Stop(0)
	if err := p.signal(syscall.SIGKILL); err != syscall.ESRCH {
		t.Errorf("signal after the bootstrap was reaped = %v, want ESRCH", err)
	}
}

// TestNetworkRangeOverlap: a range that overlaps a route of the host is
// refused, naming the route, rather than shadowing the host's network.
func TestNetworkRangeOverlap(t *testing.T) {
	newManager(t, "auto").Close() // needs root
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	var taken string
	for _, r := range routes {
		l, err := netlink.LinkByIndex(r.LinkIndex)
		if ones, _ := r.Dst.Mask.Size(); r.Dst != nil && ones > 0 && ones <= 28 && err == nil && !strings.HasPrefix(l.Attrs().Name, vethPrefix) {
			taken = r.Dst.String()
			break
		}
	}
	if taken == "" {
		t.Fatal("the host has no route of its own to collide with")
	}
	_, err = New(Options{StateDir: t.TempDir(), CgroupParent: testCgroupParent + "-overlap", NetworkCIDR: taken,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if !errors.Is(err, errRangeOverlap) || !strings.Contains(err.Error(), taken) {
		t.Errorf("New with the range %s of a host route: %v, want errRangeOverlap naming it", taken, err)
	}
}

// TestIsolatedConcurrentStarts: cold starts at once each get their own
// uid, network link and /tmp disk, none failing for racing the others.
func TestIsolatedConcurrentStarts(t *testing.T) {
	m := newManager(t, "auto")
	const n = 12
	procs := make([]*Process, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		s := spec(m, nil, "sleep")
		wg.Add(1)
		go func() { defer wg.Done(); procs[i], errs[i] = m.Start(s) }()
	}
	wg.Wait()
	uids, links, disks := map[int]bool{}, map[string]bool{}, map[string]bool{}
	for i, p := range procs {
		if errs[i] != nil {
			t.Errorf("start %d: %v", i, errs[i])
			continue
		}
		defer p.Stop(0)
		uids[p.UID()], links[p.net.link.name] = true, true
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", p.Pid()))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 4 && f[4] == "/tmp" {
				_, post, _ := strings.Cut(line, " - ")
				disks[strings.Fields(post)[1]] = true
			}
		}
	}
	if len(uids) != n || len(links) != n || len(disks) != n {
		t.Errorf("%d environments have %d uids, %d links and %d /tmp disks; want %d of each", n, len(uids), len(links), len(disks), n)
	}
}
