package sandbox

import (
	"bytes"
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// Inits are cloned by spawners with few descriptors, yet are this
// process's children (so it waits for them and signals them as before),
// in their environment's network namespace; a spawner keeps none of
// those namespaces, and a Start works through it.
func TestSpawnedInit(t *testing.T) {
	m := newManager(t, "auto")
	if m.spawners == nil || cap(m.spawners) == 0 {
		t.Fatal("no spawner started")
	}
	waitFor(t, "a kept init", func() bool { return len(m.kept) >= 1 })
	pd := <-m.kept
	defer func() { m.kept <- pd }()
	pid := pd.cmd.Process.Pid
	if ppid, _, ok := procStatPPID(pid); !ok || ppid != os.Getpid() {
		t.Errorf("kept init %d has parent %d, want this process %d", pid, ppid, os.Getpid())
	}
	if got, want := netnsOf(t, pid), "net:["+strconv.FormatUint(inode(t, pd.net.ns), 10)+"]"; got != want {
		t.Errorf("kept init in %s, want its environment's namespace %s", got, want)
	}
	self := netnsOf(t, os.Getpid())
	sps := drainSpawners(m)
	defer func() {
		for _, sp := range sps {
			m.spawners <- sp
		}
	}()
	for _, sp := range sps {
		spid := sp.cmd.Process.Pid
		if ns := netnsOf(t, spid); ns != self {
			t.Errorf("spawner %d in %s, want Hearth's %s", spid, ns, self)
		}
		fds, _ := os.ReadDir("/proc/" + strconv.Itoa(spid) + "/fd")
		if len(fds) > 16 {
			t.Errorf("spawner %d holds %d descriptors, want a few", spid, len(fds))
		}
	}
	for _, sp := range sps {
		m.spawners <- sp
	}
	sps = nil
	var out buffer
	p := start(t, m, spec(m, &out, "exit", "3"))
	waitDone(t, p)
	if !bytes.Contains([]byte(out.String()), []byte("exiting 3")) {
		t.Errorf("output %q, want the bootstrap's", out.String())
	}
}

// procStatPPID is pid's parent from /proc/PID/stat.
func procStatPPID(pid int) (int, string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, "", false
	}
	i := bytes.LastIndexByte(b, ')')
	f := bytes.Fields(b[i+1:])
	if len(f) < 2 {
		return 0, "", false
	}
	ppid, err := strconv.Atoi(string(f[1]))
	return ppid, string(f[0]), err == nil
}

// drainSpawners takes every spawner out of m, waiting for those in use.
func drainSpawners(m *Manager) []*spawner {
	var sps []*spawner
	for range cap(m.spawners) {
		sps = append(sps, <-m.spawners)
	}
	return sps
}

// inode is the inode number of f.
func inode(t *testing.T, f *os.File) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// A spawner that dies is dropped: Starts go on, the inits cloned by
// Hearth itself, and none waits for a spawner that is gone.
func TestSpawnerDies(t *testing.T) {
	m := newManager(t, "auto")
	if m.spawners == nil || cap(m.spawners) == 0 {
		t.Fatal("no spawner started")
	}
	sps := drainSpawners(m)
	for _, sp := range sps {
		if err := sp.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		m.spawners <- sp
	}
	for i := range 3 {
		var out buffer
		p := start(t, m, spec(m, &out, "exit", strconv.Itoa(i)))
		waitDone(t, p)
		if want := "exiting " + strconv.Itoa(i); !bytes.Contains([]byte(out.String()), []byte(want)) {
			t.Errorf("start %d with dead spawners: output %q, want %q", i, out.String(), want)
		}
	}
	if n := m.spawnersLive.Load(); n != 0 {
		t.Errorf("%d spawners counted alive after all were killed", n)
	}
}
