package sandbox

import (
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// How big the ready pool should be. Its target is the recent scale-out:
// the most Starts seen within any demandWindow, held for peakHold after
// it was last seen, then halving every peakHalfLife, and never less than
// the Starts of the current window or one. The kept inits follow the target up to
// their bound, spares cover what lies beyond it (keeper_linux.go). The
// bound is memory: the pool holds at most readyMemoryShare of the memory
// the kernel says is available (itself included), and at most
// Options.Prestart inits when that is set.

// Variables, not constants, so that tests can shorten them.
var (
	// demandWindow is the span over which Starts count as one scale-out.
	demandWindow = 10 * time.Second
	// peakHold is how long the target stays at a scale-out's peak after
	// the peak was last seen: a second burst soon after a first is likely.
	peakHold = time.Minute
	// peakHalfLife is how fast the pool forgets a scale-out after that:
	// its target halves every peakHalfLife.
	peakHalfLife = 2 * time.Minute
	// quietAfter is how long after the last Start ended the keeper stops
	// pacing its refills: the machine is no longer starting environments.
	quietAfter = 300 * time.Millisecond
)

// maxStartsKept bounds the record of recent Starts.
const maxStartsKept = 1 << 14

// The ready pool's memory, as measured (docs/PERFORMANCE.md, "burst"):
// 486 kept inits held RSS 2.05 MiB but PSS 0.51 MiB each (the small
// init's text is shared among them), and the kernel's memory (slab,
// stacks, page tables, per-CPU) grew 0.78–1.0 MiB per init: its
// namespaces, cgroup, link, loop device and task; MemAvailable fell 1.1 to
// 1.7 MiB per init. A spare holds only kernel memory, 0.15 MiB measured
// for a namespace with its link, listener and loop device (its /tmp
// image is sparse, on disk). The figures round those up.
const (
	initPrivate      = 640 << 10 // PSS 0.51 MiB
	initKernel       = 1 << 20   // 0.78–1.0 MiB
	initMemory       = initPrivate + initKernel
	spareMemory      = 256 << 10 // 0.15 MiB
	maxSpares        = 1024
	readyMemoryShare = 8 // 1/8 of the available memory
	// fallbackInits bounds the kept inits when the available memory
	// cannot be read and no Prestart is set.
	fallbackInits = 64
)

// demand records recent Starts on the default network.
type demand struct {
	mu     sync.Mutex
	starts []time.Time // oldest first, at most maxStartsKept
	peak   int         // the most Starts seen within one demandWindow
	peakAt time.Time   // when peak was last seen
	last   time.Time   // when the last Start began or ended
	active int         // Starts under way
	wake   chan struct{}
	// hold and halfLife override peakHold and peakHalfLife when set
	// (tests change them while the keeper runs).
	hold, halfLife time.Duration
}

// note records a Start at now.
func (d *demand) note(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.starts) == maxStartsKept {
		d.starts = append(d.starts[:0], d.starts[1:]...)
	}
	d.starts = append(d.starts, now)
	d.last = now
	d.active++
	d.window(now)
}

// done records the end, at now, of a Start that note recorded.
func (d *demand) done(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.last = now
	d.active--
}

// target is the ready pool's size at now: the recent scale-out, decayed,
// at least the Starts of the current window and one. active is the
// Starts under way; quiet reports whether none is and none began or
// ended for quietAfter.
func (d *demand) target(now time.Time) (target, active int, quiet bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, decayed := d.window(now)
	return max(decayed, n, 1), d.active, d.active == 0 && now.Sub(d.last) >= quietAfter
}

// window drops the Starts older than demandWindow and returns how many
// are left and the peak, decayed, which they renew when they reach it.
// d.mu must be held.
func (d *demand) window(now time.Time) (n, peak int) {
	cut := now.Add(-demandWindow)
	i := 0
	for i < len(d.starts) && d.starts[i].Before(cut) {
		i++
	}
	d.starts = d.starts[i:]
	n = len(d.starts)
	hold, half := peakHold, peakHalfLife
	if d.halfLife > 0 {
		hold, half = d.hold, d.halfLife
	}
	peak = decay(d.peak, now.Sub(d.peakAt), hold, half)
	if n >= peak {
		d.peak, d.peakAt, peak = n, now, n
	}
	return n, peak
}

// decay is peak age after it was last seen: held for hold, then halving
// every half, rounded up.
func decay(peak int, age, hold, half time.Duration) int {
	age -= hold
	if peak <= 0 || age <= 0 {
		return max(peak, 0)
	}
	return int(math.Ceil(float64(peak) * math.Exp2(-age.Seconds()/half.Seconds())))
}

// initBound is how many kept inits the pool may hold when avail bytes
// are available and it holds have: limit when positive, and what
// readyMemoryShare of the memory that the pool could use holds. An
// unknown avail (0) leaves limit, or fallbackInits.
func initBound(limit int, avail uint64, have int) int {
	n := limit
	if n <= 0 {
		n = fallbackInits
		if avail > 0 {
			n = math.MaxInt32
		}
	}
	if avail > 0 {
		n = min(n, int((avail+uint64(have)*initMemory)/readyMemoryShare/initMemory))
	}
	return max(n, 1)
}

// readyBound is how many of a thing costing each bytes the ready pool may
// hold: at most flag (when positive) and what readyMemoryShare of the
// available memory holds, at least one.
func readyBound(flag, each int) int {
	n := flag
	if n <= 0 {
		n = math.MaxInt32
	}
	if avail := memAvailable(); avail > 0 {
		n = min(n, int(avail/readyMemoryShare/uint64(each)))
	} else if flag <= 0 {
		n = fallbackInits
	}
	return max(n, 1)
}

// memAvailable is the kernel's estimate of the memory available for new
// work, in bytes; 0 when unknown.
func memAvailable() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// ReadyPool is what the ready pool holds and aims for.
type ReadyPool struct {
	// Inits is the kept inits ready now; Target how many the keeper
	// aims for (the recent scale-out, decayed, within Bound); Bound the
	// most memory allows (and Options.Prestart, when set).
	Inits, Target, Bound int
	// SpareNets and SpareDisks are the spare network namespaces and /tmp
	// disks ready beyond the kept inits.
	SpareNets, SpareDisks int
	// MemoryBytes estimates the memory all of them hold (initMemory and
	// spareMemory each).
	MemoryBytes uint64
}
