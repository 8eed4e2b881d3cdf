package sandbox

import (
	"errors"
	"io"
	"log/slog"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// benchStart measures cold-start latency: from Start until the bootstrap
// has reached its Runtime API listener, as a real bootstrap's first /next
// would. Stop and what the ready pool holds before each Start are set up
// outside the timer: ready is "kept" (an init kept ready), "spare" (no
// kept init, a spare namespace and disk) or "new" (nothing ready).
func benchStart(b *testing.B, isolation, ready string) {
	if isolation == "auto" {
		newManager(b, "auto").Close() // skips with a reason when not root
	}
	prestart := -1
	if ready == "kept" {
		prestart = 2
	}
	m, err := New(Options{
		StateDir: b.TempDir(), Isolation: isolation, CgroupParent: testCgroupParent, Prestart: prestart,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	cpu0 := processCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		switch {
		case ready == "kept":
			waitFor(b, "a kept init", func() bool { return len(m.kept) > 0 })
		case isolation == "auto":
			setSpares(b, m, ready == "spare")
		}
		b.StartTimer()
		startAccepted(b, m, spec(m, nil, "hello"))
	}
	b.StopTimer()
	reportCPU(b, cpu0)
}

// processCPU is the CPU time of this process (the Manager, including
// the preparation of kept inits) and of its children that have been
// waited for (the environments' inits and bootstraps).
func processCPU() [2]time.Duration {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	return [2]time.Duration{
		time.Duration(self.Utime.Nano() + self.Stime.Nano()),
		time.Duration(children.Utime.Nano() + children.Stime.Nano()),
	}
}

// reportCPU reports the CPU time per iteration since cpu0, Hearth's and
// the environments'.
func reportCPU(b *testing.B, cpu0 [2]time.Duration) {
	cpu := processCPU()
	per := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(b.N) }
	b.ReportMetric(per(cpu[0]-cpu0[0]), "hearth-cpu-ms/op")
	b.ReportMetric(per(cpu[1]-cpu0[1]), "env-cpu-ms/op")
}

// setSpares makes one spare namespace and disk of the defaults ready, or
// none (waiting for the recycler to be done with the last environment's).
func setSpares(b *testing.B, m *Manager, one bool) {
	waitFor(b, "the recycler", func() bool { return len(m.spare.queue) == 0 })
	time.Sleep(5 * time.Millisecond) // the item it may still be resetting
	for {
		r := recycled{net: m.takeNet(m.opts.Network), disk: m.takeDisk(defaultEphemeral)}
		if r.net == nil && r.disk == nil {
			break
		}
		r.destroy()
	}
	if one {
		if err := m.makeSpare(1); err != nil {
			b.Fatal(err)
		}
	}
	// As spares are made well ahead of their use: the kernel's and udev's
	// work on a new link and loop device is done by then.
	time.Sleep(50 * time.Millisecond)
}

func BenchmarkStartPlain(b *testing.B) { benchStart(b, "off", "new") }

func BenchmarkStartIsolated(b *testing.B) {
	b.Run("kept-init", func(b *testing.B) { benchStart(b, "auto", "kept") })
	b.Run("spare", func(b *testing.B) { benchStart(b, "auto", "spare") })
	b.Run("new", func(b *testing.B) { benchStart(b, "auto", "new") })
}

// BenchmarkStartStop is the back-to-back cycle: Start, Runtime API reached,
// Stop with cleanup; kept inits are prepared concurrently with the loop.
func BenchmarkStartStop(b *testing.B) {
	for _, mode := range []struct{ name, isolation string }{{"plain", "off"}, {"isolated", "auto"}} {
		b.Run(mode.name, func(b *testing.B) {
			m := newManager(b, mode.isolation)
			time.Sleep(20 * time.Millisecond)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p, err := m.Start(spec(m, nil, "hello"))
				if err != nil {
					b.Fatal(err)
				}
				ln, _ := p.RuntimeAPI()
				c, err := ln.Accept()
				if err != nil {
					b.Fatal(err)
				}
				c.Close()
				p.Stop(0)
			}
		})
	}
}

// BenchmarkFreezeThaw measures one freeze (until stopped) plus one thaw of
// an idle environment.
func BenchmarkFreezeThaw(b *testing.B) {
	for _, mode := range []struct{ name, isolation string }{{"plain", "off"}, {"isolated", "auto"}} {
		b.Run(mode.name, func(b *testing.B) {
			m := newManager(b, mode.isolation)
			p := start(b, m, spec(m, nil, "sleep"))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := p.Freeze(); err != nil {
					b.Fatal(err)
				}
				if err := p.Thaw(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkScratchDisk measures making a /tmp disk once its size's
// template exists (new: a sparse copy of the template and a loop device)
// and resetting a recycled one (discard and the template's metadata
// written through the device). The keeper makes disks ahead and the
// recycler resets them off the cold-start path; a Start with another
// EphemeralStorage size and no spare pays a new one (and the ext4 mount,
// about 1.5 ms) on its cold start.
func BenchmarkScratchDisk(b *testing.B) {
	m := newManager(b, "auto")
	if m.mke2fs == "" {
		b.Skip("no mke2fs or loop devices: /tmp is a tmpfs")
	}
	for _, mb := range []int{512, 10240} {
		if _, err := m.scratchTemplate(mb); err != nil {
			b.Fatal(err)
		}
		b.Run(strconv.Itoa(mb)+"MB/new", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				s, err := m.newScratch(mb)
				if err != nil {
					b.Fatal(err)
				}
				s.release()
			}
		})
		b.Run(strconv.Itoa(mb)+"MB/recycled", func(b *testing.B) {
			s, err := m.newScratch(mb)
			if err != nil {
				b.Fatal(err)
			}
			defer s.release()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := m.resetDisk(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNetworkSetup measures preparing an environment's network
// namespace: new (the namespace, loopback and the Runtime API listener,
// for "nat" also the veth pair, addresses and route) and recycled (the
// checks and a new listener). Both happen off the cold-start path when
// spares are ready.
func BenchmarkNetworkSetup(b *testing.B) {
	m := newManager(b, "auto")
	for _, network := range []string{"none", "nat"} {
		b.Run(network+"/new", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				en, err := m.newNet(network)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				en.destroy()
				b.StartTimer()
			}
		})
		b.Run(network+"/recycled", func(b *testing.B) {
			en, err := m.newNet(network)
			if err != nil {
				b.Fatal(err)
			}
			defer en.destroy()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// The closed listener's socket is freed after an RCU
				// grace period; the recycler tries again then.
				err := m.resetNet(en)
				for errors.Is(err, errNotYet) {
					b.StopTimer()
					time.Sleep(time.Millisecond)
					b.StartTimer()
					err = m.resetNet(en)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// startAccepted starts an environment, times it until its bootstrap has
// connected to the Runtime API, and stops it off the clock.
func startAccepted(b *testing.B, m *Manager, s Spec) {
	b.Helper()
	p, err := m.Start(s)
	if err != nil {
		b.Fatal(err)
	}
	ln, _ := p.RuntimeAPI()
	c, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	c.Close()
	b.StopTimer()
	p.Stop(0)
	b.StartTimer()
}
