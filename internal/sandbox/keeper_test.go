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
	window, shrink := demandWindow, shrinkDelay
	demandWindow, shrinkDelay = 3*time.Second, 50*time.Millisecond
	t.Cleanup(func() { demandWindow, shrinkDelay = window, shrink })
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
	waitFor(t, "the spares to be released", func() bool {
		nets, disks := spares()
		return nets == 0 && disks == 0
	})
}
