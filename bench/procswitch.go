package main

import (
	"bytes"
	"os"
	"strconv"
)

// treeSwitches counts the voluntary context switches so far of every
// living thread of the process pid (self) and of its living descendants
// (children), from /proc/PID/task/TID/status. A voluntary switch is a
// thread going to sleep — on a socket, a futex, a timer or, for a frozen
// environment, the stop — so each one is later paid for by a wake-up:
// the count per call is how many hand-offs between threads a request
// costs, a figure that survives a busy machine better than time does
// (involuntary switches, which a busy machine adds, are left out).
func treeSwitches(pid int) (self, children int64) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, 0
	}
	parent := map[int]int{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, _, ok := procStat(p); ok {
			parent[p] = ppid
		}
	}
	for p := range parent {
		if p == pid {
			self += processSwitches(p)
			continue
		}
		for a, n := parent[p], 0; a > 1 && n < 64; a, n = parent[a], n+1 {
			if a == pid {
				children += processSwitches(p)
				break
			}
		}
	}
	return self, children
}

// processSwitches sums the voluntary context switches of pid's threads.
func processSwitches(pid int) int64 {
	dir := "/proc/" + strconv.Itoa(pid) + "/task/"
	tids, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var sum int64
	key := []byte("\nvoluntary_ctxt_switches:")
	for _, t := range tids {
		b, err := os.ReadFile(dir + t.Name() + "/status")
		if err != nil {
			continue
		}
		i := bytes.Index(b, key)
		if i < 0 {
			continue
		}
		rest := bytes.TrimLeft(b[i+len(key):], " \t")
		if j := bytes.IndexByte(rest, '\n'); j >= 0 {
			rest = rest[:j]
		}
		n, _ := strconv.ParseInt(string(rest), 10, 64)
		sum += n
	}
	return sum
}
