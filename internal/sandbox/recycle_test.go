package sandbox

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hearth-run/hearth/internal/testenv"
)

// recycleManager is an isolated Manager without kept inits, so that a
// recycled namespace or disk goes to the next Start and not to the keeper.
func recycleManager(t *testing.T) *Manager {
	t.Helper()
	testenv.NeedRoot(t, "isolated mode (namespaces, mounts, cgroups, loop devices)")
	m, err := New(Options{StateDir: t.TempDir(), Isolation: "auto", CgroupParent: testCgroupParent,
		Prestart: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if m.mke2fs == "" {
		testenv.Missing(t, "no mke2fs or loop devices: /tmp is a tmpfs, nothing to recycle")
	}
	return m
}

// spareLists returns how many namespaces of network and disks of sizeMB
// are ready.
func spareLists(m *Manager, network string, sizeMB int) (nets, disks int) {
	m.spare.mu.Lock()
	defer m.spare.mu.Unlock()
	return len(m.spare.nets[network]), len(m.spare.disks[sizeMB])
}

// netnsOf is the network namespace of pid, as "net:[inode]".
func netnsOf(t *testing.T, pid int) string {
	t.Helper()
	ns, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// processesIn lists the host's processes in the network namespace ns.
func processesIn(ns string) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if l, _ := os.Readlink(filepath.Join("/proc", e.Name(), "ns/net")); l == ns {
			out = append(out, e.Name())
		}
	}
	return out
}

// An environment that ended leaves its /tmp disk and network namespace to
// the next one: the next sees neither its files nor their blocks, none of
// its processes and none of its sockets.
func TestRecycledDiskAndNamespace(t *testing.T) {
	m := recycleManager(t)
	const sizeMB = 64 // not the default: only the recycled disk fits
	marker := "hearth-recycle-marker-" + strconv.Itoa(os.Getpid()) + "-"
	var outA buffer
	sa := spec(m, &outA, "leave", marker)
	sa.EphemeralMB = sizeMB
	a := start(t, m, sa)
	waitFor(t, "the first environment to write /tmp", func() bool { return strings.Contains(outA.String(), "ready") })
	if !strings.Contains(outA.String(), "ready <nil> <nil>") {
		t.Fatalf("first environment: %q", outA.String())
	}
	ns, dev := netnsOf(t, a.Pid()), a.scratch.dev
	a.Stop(0)
	waitFor(t, "the namespace and disk to be recycled", func() bool {
		nets, disks := spareLists(m, m.opts.Network, sizeMB)
		return nets == 1 && disks == 1
	})
	if procs := processesIn(ns); len(procs) > 0 {
		t.Errorf("processes %v still in the recycled namespace %s", procs, ns)
	}
	// Every block of the device, as the next environment's filesystem
	// will read it.
	f, err := os.Open(dev)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != sizeMB<<20 {
		t.Fatalf("read %d bytes of %s, want %d", len(raw), dev, sizeMB<<20)
	}
	if bytes.Contains(raw, []byte(marker)) {
		t.Errorf("the recycled disk %s still holds the first environment's data", dev)
	}

	var outB buffer
	sb := spec(m, &outB, "look")
	sb.EphemeralMB = sizeMB
	b := start(t, m, sb)
	waitDone(t, b)
	got := map[string]string{}
	var sockets []string
	sc := bufio.NewScanner(strings.NewReader(outB.String()))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		if k == "socket" {
			sockets = append(sockets, v)
		} else {
			got[k] = v
		}
	}
	if got["netns"] != ns || got["tmpdev"] != dev {
		t.Fatalf("second environment got %s and %s, want the recycled %s and %s\n%s", got["netns"], got["tmpdev"], ns, dev, outB.String())
	}
	if got["tmp"] != "" {
		t.Errorf("second environment sees %q in /tmp", got["tmp"])
	}
	for _, s := range sockets {
		f := strings.Fields(s)
		// Only Hearth's new Runtime API listener may be a socket (an
		// inode); the first environment's connection may have left a
		// TIME_WAIT entry, which is none.
		if len(f) > 9 && f[9] != "0" && !(f[1] == "0100007F:2329" && f[3] == "0A") {
			t.Errorf("second environment sees a socket: %s", s)
		}
	}
}

// A namespace whose environment sent traffic over its link is not
// recycled: its connections' state must not reach another environment.
func TestUsedNamespaceNotRecycled(t *testing.T) {
	m := recycleManager(t)
	if m.nat == nil {
		testenv.Missing(t, "no NAT link: nothing can be sent beyond loopback")
	}
	var out buffer
	s := spec(m, &out, "usenet")
	s.EphemeralMB = 32
	p := start(t, m, s)
	waitDone(t, p)
	if !strings.Contains(out.String(), "sent <nil>") {
		t.Fatalf("usenet: %q", out.String())
	}
	p.Stop(0)
	// The disk is recycled in the same pass that judges the namespace.
	waitFor(t, "the disk to be recycled", func() bool { _, disks := spareLists(m, m.opts.Network, 32); return disks == 1 })
	if nets, _ := spareLists(m, m.opts.Network, 32); nets != 0 {
		t.Errorf("%d namespaces kept after the environment used its link, want 0", nets)
	}
}
