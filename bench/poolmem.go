package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// poolMemory is what the kept inits of a Hearth hold: their number and
// their resident (RSS) and proportional (PSS) memory, from each process's
// smaps_rollup. A kept init is a child of the server still running the
// sandbox init (named init-<digest>), not yet a bootstrap.
type poolMemory struct {
	inits    int
	rss, pss uint64 // bytes, summed
}

func keptInitMemory(server int) poolMemory {
	var pm poolMemory
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile("/proc/" + e.Name() + "/comm")
		if err != nil || !strings.HasPrefix(string(comm), "init-") {
			continue
		}
		if ppid, _, ok := procStat(pid); !ok || ppid != server {
			continue
		}
		v := meminfoFields("/proc/"+e.Name()+"/smaps_rollup", "Rss:", "Pss:")
		pm.inits++
		pm.rss += v["Rss:"]
		pm.pss += v["Pss:"]
	}
	return pm
}

// kernelMemory is the kernel's own memory now (slab, kernel stacks, page
// tables, per-CPU areas) and the memory available, in bytes, from
// /proc/meminfo: machine-wide, so only a difference over a stretch in
// which little else happened says something.
func kernelMemory() (kernel, available uint64) {
	v := meminfoFields("/proc/meminfo", "Slab:", "KernelStack:", "PageTables:", "Percpu:", "MemAvailable:")
	return v["Slab:"] + v["KernelStack:"] + v["PageTables:"] + v["Percpu:"], v["MemAvailable:"]
}

// meminfoFields reads the "Name: N kB" lines of path that keys name, in
// bytes.
func meminfoFields(path string, keys ...string) map[string]uint64 {
	out := map[string]uint64{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		for _, k := range keys {
			if fields[0] == k {
				n, _ := strconv.ParseUint(fields[1], 10, 64)
				out[k] += n << 10
			}
		}
	}
	return out
}
