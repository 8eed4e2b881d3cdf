package main

import (
	"bytes"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// cpuTicks is USER_HZ, the unit of /proc/PID/stat's utime and stime (100 on
// every Linux architecture Hearth builds for).
const cpuTicks = 100

// treeCPU is the CPU time (user + system) spent so far by the process pid
// itself and by its living descendants, read from each one's CPU-time
// clock (or, failing that, /proc/PID/stat). The
// descendants of a server are the environments it runs (Hearth's
// bootstraps, the emulator's bootstrap); children that exited are not
// counted, so measure over a stretch in which none exits.
func treeCPU(pid int) (self, children time.Duration) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, 0
	}
	parent := map[int]int{}
	cpu := map[int]time.Duration{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, t, ok := procStat(p)
		if ok {
			parent[p], cpu[p] = ppid, t
		}
	}
	for p, t := range cpu {
		if p == pid {
			self += t
			continue
		}
		for a, n := parent[p], 0; a > 1 && n < 64; a, n = parent[a], n+1 {
			if a == pid {
				children += t
				break
			}
		}
	}
	return self, children
}

// procStat reads a process's parent and its own user + system CPU time.
func procStat(pid int) (ppid int, cpu time.Duration, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// pid (comm) state ppid ... utime(14) stime(15): comm may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(string(f[1]))
	if t, ok := processClock(pid); ok {
		return ppid, t, true
	}
	ut, _ := strconv.ParseInt(string(f[11]), 10, 64)
	st, _ := strconv.ParseInt(string(f[12]), 10, 64)
	return ppid, time.Duration(ut+st) * time.Second / cpuTicks, true
}

// processClock is the CPU time of every thread pid has run, living or
// ended, to the nanosecond: the process's CPU-time clock
// (clock_getcpuclockid). /proc/PID/stat counts whole clock ticks (10 ms)
// per process, which rounds an environment's few milliseconds to nothing.
func processClock(pid int) (time.Duration, bool) {
	const cpuClockSched, cpuClockProcess = 2, 0 // the kernel's MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
	var ts unix.Timespec
	if err := unix.ClockGettime(int32(^pid<<3|cpuClockSched|cpuClockProcess), &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}

// cpuMeter accumulates a server's CPU and its environments' CPU over the
// calls measured.
type cpuMeter struct {
	pid            int
	self, children time.Duration
	// selfCS and childCS are the voluntary context switches (treeSwitches).
	selfCS, childCS int64
	calls           int
}

// measure runs n calls of do and adds their CPU to the meter; it returns
// do's latencies and errors through each.
func (m *cpuMeter) measure(n int, each func()) {
	w0, v0 := treeSwitches(m.pid)
	s0, c0 := treeCPU(m.pid)
	for range n {
		each()
	}
	s1, c1 := treeCPU(m.pid)
	w1, v1 := treeSwitches(m.pid)
	m.self += s1 - s0
	m.children += c1 - c0
	m.selfCS += w1 - w0
	m.childCS += v1 - v0
	m.calls += n
}

// switchesPerCall returns the server's and the environments' voluntary
// context switches per call.
func (m *cpuMeter) switchesPerCall() (server, function float64) {
	if m.calls == 0 {
		return 0, 0
	}
	return float64(m.selfCS) / float64(m.calls), float64(m.childCS) / float64(m.calls)
}

// perCall returns the server's and the environments' CPU per call in µs.
func (m *cpuMeter) perCall() (server, function float64) {
	if m.calls == 0 {
		return 0, 0
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) / float64(m.calls) }
	return us(m.self), us(m.children)
}
