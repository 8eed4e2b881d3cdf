package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
)

// hostState is what one Hearth (tagged by its data dir) holds on the host.
type hostState struct {
	parents []string // its parent cgroup, in every hierarchy
	links   []string // host-side veth links tagged with its cgroup parent name
	loops   []string // loop devices backed by files in its data dir
	table   bool     // its nftables table exists
	mounts  []string // host mounts under its data dir
}

// instanceTag is the name Hearth gives its cgroup parent, nftables table
// and link alias: "hearth-" and 12 hex digits of the data dir's hash.
func instanceTag(t *testing.T, dataDir string) string {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(abs))
	return "hearth-" + hex.EncodeToString(sum[:6])
}

func readHostState(t *testing.T, dataDir string) hostState {
	t.Helper()
	tag := instanceTag(t, dataDir)
	var s hostState
	for _, pattern := range []string{"/sys/fs/cgroup/*/" + tag, "/sys/fs/cgroup/" + tag} {
		m, _ := filepath.Glob(pattern)
		s.parents = append(s.parents, m...)
	}
	// Links of other environments come and go: a dump the kernel reports
	// interrupted is taken again.
	links, err := netlink.LinkList()
	for i := 0; i < 10 && errors.Is(err, netlink.ErrDumpInterrupted); i++ {
		links, err = netlink.LinkList()
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if l.Attrs().Alias == tag {
			s.links = append(s.links, l.Attrs().Name)
		}
	}
	files, _ := filepath.Glob("/sys/block/loop*/loop/backing_file")
	for _, f := range files {
		if b, _ := os.ReadFile(f); strings.HasPrefix(string(b), dataDir+"/") {
			s.loops = append(s.loops, filepath.Base(filepath.Dir(filepath.Dir(f))))
		}
	}
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	tables, err := c.ListTables()
	if err != nil {
		t.Fatal(err)
	}
	s.table = slices.ContainsFunc(tables, func(tb *nftables.Table) bool { return tb.Name == tag })
	mountinfo, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(mountinfo), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dataDir) {
			s.mounts = append(s.mounts, f[4])
		}
	}
	return s
}

// TestBoundaryNoLeftovers checks, after a kill -9 and restart and after a
// clean shutdown, that nothing of Hearth's stays on the host: environment
// processes, environment cgroups and the parent cgroup in every hierarchy,
// mounts under the data dir, host-side veth links (tagged with the
// instance's name), the nftables NAT table, and loop devices backed by the
// /tmp images in the data dir.
func TestBoundaryNoLeftovers(t *testing.T) {
	requireRoot(t)
	h := startHearth(t, "")
	c := h.client()
	createFunction(t, c, "left-nat", runtimeCases[0])
	createFunction(t, c, "left-none", runtimeCases[0], func(in *lambda.CreateFunctionInput) {
		in.Tags = map[string]string{"hearth:network": "none"}
	})
	use := func() []envSnapshot {
		var envs []envSnapshot
		for _, fn := range []string{"left-nat", "left-none"} {
			invoke(t, c, fn, map[string]any{"action": "echo"})
			envs = append(envs, h.environments(t, fn)...)
		}
		return envs
	}
	envs := use()
	// A configuration update retires left-nat's environment; its network
	// namespace is recycled and kept by Hearth as a spare, which must go
	// with Hearth too. The test holds the namespace open meanwhile, so that
	// its inode number names it alone (the kernel reuses the numbers of
	// namespaces that are gone).
	nsPath := filepath.Join("/proc", itoa(envs[0].Pid), "ns/net")
	nsFile, err := os.Open(nsPath)
	if err != nil {
		t.Fatal(err)
	}
	spareNS, err := os.Readlink(nsPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateFunctionConfiguration(context.Background(), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("left-nat"), Environment: &types.Environment{Variables: map[string]string{"RETIRED": "1"}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the retired environment to end", func() bool {
		_, err := os.Stat(filepath.Join("/proc", itoa(envs[0].Pid)))
		return err != nil && !cgroupExists(envs[0].ID) // its cleanup has run
	})
	time.Sleep(200 * time.Millisecond) // a namespace not recycled is closed by then
	if !holdsNamespace(h.cmd.Process.Pid, spareNS) {
		t.Errorf("the retired environment's network namespace %s was not kept as a spare", spareNS)
	}
	nsFile.Close()
	envs = use()
	before := readHostState(t, h.dataDir)
	// Two environments and a kept init: a link each but for "none", a /tmp disk each.
	if len(before.parents) == 0 || len(before.links) < 1 || len(before.loops) < 2 || !before.table {
		t.Fatalf("the running Hearth does not hold what this test checks: %+v", before)
	}

	h.kill9()
	h.restart()
	waitFor(t, "the killed run's environments to be gone", func() bool {
		for _, e := range envs {
			if _, err := os.Stat(filepath.Join("/proc", itoa(e.Pid))); err == nil || cgroupExists(e.ID) {
				return false
			}
		}
		return true
	})
	// What is there now belongs to the new run: at most its one kept init.
	waitFor(t, "the killed run's links and loop devices to be gone", func() bool {
		s := readHostState(t, h.dataDir)
		return len(s.links) <= 1 && len(s.loops) <= 1
	})

	envs = use()
	h.stop()
	for _, e := range envs {
		if _, err := os.Stat(filepath.Join("/proc", itoa(e.Pid))); err == nil {
			t.Errorf("environment process %d outlived the server", e.Pid)
		}
	}
	after := readHostState(t, h.dataDir)
	if len(after.parents)+len(after.links)+len(after.loops)+len(after.mounts) > 0 || after.table {
		t.Errorf("left after a clean shutdown: %+v", after)
	}
}

// holdsNamespace reports whether process pid holds the namespace ns
// ("net:[inode]") open by a descriptor.
func holdsNamespace(pid int, ns string) bool {
	dir := filepath.Join("/proc", itoa(pid), "fd")
	fds, _ := os.ReadDir(dir)
	for _, fd := range fds {
		if l, _ := os.Readlink(filepath.Join(dir, fd.Name())); l == ns {
			return true
		}
	}
	return false
}
