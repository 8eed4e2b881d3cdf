package sandbox

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/testenv"
)

// The ready pool grows to the recent number of Starts, kept inits bounded
// by Prestart and spares beside them, and shrinks back to one init and no
// spare when the demand has passed.
func TestReadyPoolFollowsDemand(t *testing.T) {
	testenv.NeedRoot(t, "isolated mode (namespaces, mounts, cgroups)")
	window, shrink, spare := demandWindow, shrinkDelay, spareWindow
	demandWindow, shrinkDelay, spareWindow = 3*time.Second, 50*time.Millisecond, 4*time.Second
	t.Cleanup(func() { demandWindow, shrinkDelay, spareWindow = window, shrink, spare })
	m, err := New(Options{StateDir: t.TempDir(), Isolation: "auto", CgroupParent: testCgroupParent,
		Prestart: 3, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	waitKept := func(want int, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for len(m.kept) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%d inits kept ready, want %d", len(m.kept), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitKept(1, 10*time.Second)
	for range 5 { // more than Prestart: the pool stops at 3
		start(t, m, spec(m, nil, "sleep"))
	}
	waitKept(3, 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	if n := len(m.kept); n != 3 {
		t.Fatalf("%d inits kept ready after 5 starts with Prestart 3, want 3", n)
	}
	spares := func() (int, int) { return spareLists(m, m.opts.Network, defaultEphemeral) }
	waitFor(t, "5 spare namespaces and disks", func() bool {
		nets, disks := spares()
		return nets == 5 && (m.mke2fs == "" || disks == 5)
	})
	waitKept(1, 10*time.Second) // the Starts leave the window
	if nets, _ := spares(); nets < 4 {
		t.Errorf("%d spare namespaces when the Starts left the window, want them kept for the spare window", nets)
	}
	deadline := time.Now().Add(10 * time.Second)
	for nets, disks := spares(); nets+disks > 0; nets, disks = spares() {
		if time.Now().After(deadline) {
			t.Fatalf("%d spare namespaces and %d disks still kept after the spare window", nets, disks)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
