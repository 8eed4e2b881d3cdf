package sandbox

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/testenv"
)

// The ready pool grows to the recent scale-out: kept inits up to their
// bound (Prestart here), spares beyond it; it keeps that size after the
// Starts have left the window, and shrinks back to one init and no spare
// as the peak decays.
func TestReadyPoolFollowsDemand(t *testing.T) {
	testenv.NeedRoot(t, "isolated mode (namespaces, mounts, cgroups)")
	window, shrink, hold, half := demandWindow, shrinkDelay, peakHold, peakHalfLife
	demandWindow, shrinkDelay, peakHold, peakHalfLife = 2*time.Second, 20*time.Millisecond, time.Hour, time.Hour
	t.Cleanup(func() { demandWindow, shrinkDelay, peakHold, peakHalfLife = window, shrink, hold, half })
	m, err := New(Options{StateDir: t.TempDir(), Isolation: "auto", CgroupParent: testCgroupParent,
		Prestart: 3, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	waitPool := func(what string, within time.Duration, ok func(inits, nets, disks int) bool) {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			nets, disks := spareLists(m, m.opts.Network, defaultEphemeral)
			if m.mke2fs == "" {
				disks = nets
			}
			if ok(len(m.kept), nets, disks) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("ready pool: %d inits, %d spare namespaces, %d spare disks; want %s", len(m.kept), nets, disks, what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitPool("one init", 10*time.Second, func(i, _, _ int) bool { return i == 1 })
	for range 5 { // more than Prestart: the pool keeps 3 inits and 2 spares
		start(t, m, spec(m, nil, "sleep"))
	}
	waitPool("3 inits and 2 spares", 10*time.Second, func(i, n, d int) bool { return i == 3 && n == 2 && d == 2 })
	if rp := m.ReadyPool(); rp.Inits != 3 || rp.Target != 3 || rp.Bound != 3 || rp.MemoryBytes < 3*initMemory {
		t.Errorf("ReadyPool() = %+v, want 3 inits, target 3, bound 3 and their memory", rp)
	}
	time.Sleep(demandWindow + 300*time.Millisecond) // the Starts leave the window; the peak stays
	if n, _ := spareLists(m, m.opts.Network, defaultEphemeral); len(m.kept) != 3 || n != 2 {
		i := len(m.kept)
		t.Fatalf("%d inits and %d spare namespaces once the Starts left the window, want the peak's 3 and 2 kept", i, n)
	}
	m.demand.mu.Lock() // the peak decays: back to one init
	m.demand.hold, m.demand.halfLife = 0, 50*time.Millisecond
	m.demand.mu.Unlock()
	waitPool("one init and no spare after the peak decayed", 10*time.Second, func(i, n, d int) bool { return i == 1 && n == 0 && d == 0 })
}

// The target is the largest recent scale-out, held for peakHold, then
// halving every peakHalfLife, never below the Starts of the current
// window or one.
func TestReadyPoolTarget(t *testing.T) {
	window, hold, half, quiet := demandWindow, peakHold, peakHalfLife, quietAfter
	demandWindow, peakHold, peakHalfLife, quietAfter = 10*time.Second, time.Minute, 2*time.Minute, 300*time.Millisecond
	t.Cleanup(func() { demandWindow, peakHold, peakHalfLife, quietAfter = window, hold, half, quiet })
	t0 := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	var d demand
	if n, _, _ := d.target(t0); n != 1 {
		t.Fatalf("target with no Start = %d, want 1", n)
	}
	for i := range 500 { // a burst of 500 within 2 s
		d.note(t0.Add(time.Duration(i) * 4 * time.Millisecond))
	}
	if _, active, quiet := d.target(t0.Add(3 * time.Second)); quiet || active != 500 {
		t.Errorf("%d Starts under way, quiet %v; want 500 and not quiet", active, quiet)
	}
	for range 500 {
		d.done(t0.Add(2 * time.Second))
	}
	at := func(after time.Duration) int { n, _, _ := d.target(t0.Add(after)); return n }
	if _, _, quiet := d.target(t0.Add(2 * time.Second)); quiet {
		t.Error("quiet right after the last Start")
	}
	for _, c := range []struct {
		after time.Duration
		want  int
	}{
		{5 * time.Second, 500},               // within the window: the peak is seen again
		{5*time.Second + time.Minute, 500},   // held
		{5*time.Second + 3*time.Minute, 250}, // then one half-life
		{5*time.Second + 5*time.Minute, 125},
		{30 * time.Minute, 1},
	} {
		if got := at(c.after); got != c.want {
			t.Errorf("target %v after the burst = %d, want %d", c.after, got, c.want)
		}
	}
	if _, _, quiet := d.target(t0.Add(31 * time.Minute)); !quiet {
		t.Error("not quiet long after the last Start")
	}
	// A new, smaller scale-out counts at once, and replaces a decayed peak.
	base := t0.Add(40 * time.Minute)
	for i := range 40 {
		d.note(base.Add(time.Duration(i) * time.Millisecond))
	}
	if got := at(40*time.Minute + time.Second); got != 40 {
		t.Errorf("target during a scale-out of 40 = %d, want 40", got)
	}
}

// The kept inits stay within an eighth of the available memory, the pool
// itself counted as available, and within Prestart when it is set.
func TestInitBound(t *testing.T) {
	gib := uint64(1) << 30
	for _, c := range []struct {
		name  string
		limit int
		avail uint64
		have  int
		want  int
	}{
		{"memory only", 0, 8 * gib, 0, int(8 * gib / 8 / initMemory)},
		{"the pool's own memory counts as available", 0, 1 * gib, 100, int((1*gib + 100*initMemory) / 8 / initMemory)},
		{"Prestart below memory", 64, 8 * gib, 0, 64},
		{"memory below Prestart", 10000, 1 * gib, 0, int(1 * gib / 8 / initMemory)},
		{"no memory left: one", 0, 1 << 20, 0, 1},
		{"memory unknown", 0, 0, 0, fallbackInits},
		{"memory unknown, Prestart", 200, 0, 0, 200},
	} {
		if got := initBound(c.limit, c.avail, c.have); got != c.want {
			t.Errorf("%s: initBound(%d, %d, %d) = %d, want %d", c.name, c.limit, c.avail, c.have, got, c.want)
		}
	}
}
