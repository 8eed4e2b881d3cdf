package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// envMemory is the memory of one environment, in MiB.
type envMemory struct{ rss, pss, cgroup float64 }

// runtimeMemory starts n frozen environments of each runtime's hello
// function on h and reports, per environment, its processes' RSS and PSS
// and its cgroup's memory usage — three views of the same pages: RSS
// counts shared pages (the interpreter, libc) in full in every process,
// PSS divides them among their sharers, and the cgroup charges page-cache
// pages to whichever cgroup touched them first.
func runtimeMemory(ctx context.Context, tb *toolbox, h *hearthProc, n int, r *Result) (Table, error) {
	t := Table{
		Title:   fmt.Sprintf("Memory per idle frozen environment, by runtime (MiB, mean over %d environments)", n),
		Columns: []string{"runtime", "RSS", "PSS", "cgroup usage"},
		Notes: []string{"RSS and PSS are summed over the environment's processes (/proc/PID/smaps_rollup); cgroup usage is " +
			"its memory cgroup's usage (memory.usage_in_bytes on v1, memory.current on v2), which Hearth's limits enforce. " +
			"PSS is what an environment adds to the machine; RSS overstates it by the shared interpreter and libraries."},
	}
	for _, rt := range runtimeSpecs {
		name := "memory-" + rt.Name
		if err := deploy(ctx, tb, h, name, rt); err != nil {
			return t, err
		}
		calls, _ := fanOut(n, func(int) call { return invoke(ctx, h.Lambda, name, "", []byte(`{"sleepMs":1000}`), false) })
		if fail, first := failures(calls); fail > 0 {
			return t, fmt.Errorf("%s: %d of %d invocations failed, first: %w", rt.Name, fail, n, first)
		}
		envs, err := waitAllFrozen(ctx, h, name, n)
		if err != nil {
			r.problem("%s: %v", rt.Name, err)
		}
		var sum envMemory
		for _, e := range envs {
			m := memoryOf(e.Pid)
			sum.rss, sum.pss, sum.cgroup = sum.rss+m.rss, sum.pss+m.pss, sum.cgroup+m.cgroup
		}
		k := float64(max(len(envs), 1))
		t.row(rt.Name+" ("+rt.Runtime+")", fmt.Sprintf("%.1f", sum.rss/k), fmt.Sprintf("%.1f", sum.pss/k), fmt.Sprintf("%.1f", sum.cgroup/k))
		r.Metrics["memory."+rt.Name+".rss_mb"] = sum.rss / k
		r.Metrics["memory."+rt.Name+".pss_mb"] = sum.pss / k
		r.Metrics["memory."+rt.Name+".cgroup_mb"] = sum.cgroup / k
	}
	return t, nil
}

// waitAllFrozen waits up to 30 s until the function has n environments,
// all frozen, and returns them.
func waitAllFrozen(ctx context.Context, h *hearthProc, name string, n int) ([]environment, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		envs, err := h.environments(ctx, name)
		if err != nil {
			return nil, err
		}
		frozen := 0
		for _, e := range envs {
			if e.Frozen {
				frozen++
			}
		}
		if frozen == len(envs) && len(envs) == n {
			return envs, nil
		}
		if time.Now().After(deadline) {
			return envs, fmt.Errorf("%d of %d environments frozen after 30 s", frozen, len(envs))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// memoryOf measures the environment whose bootstrap is pid.
func memoryOf(pid int) envMemory {
	var m envMemory
	for _, p := range append([]int{pid}, descendants(pid)...) {
		m.rss += rollupMB(p, "Rss:")
		m.pss += rollupMB(p, "Pss:")
	}
	m.cgroup = cgroupMemoryMB(pid)
	return m
}

// descendants lists the children of pid, recursively.
func descendants(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "children"))
	for _, f := range tasks {
		raw, _ := os.ReadFile(f)
		for _, c := range strings.Fields(string(raw)) {
			if child, err := strconv.Atoi(c); err == nil {
				out = append(out, child)
				out = append(out, descendants(child)...)
			}
		}
	}
	return out
}

// rollupMB reads one kB field of /proc/PID/smaps_rollup, in MiB.
func rollupMB(pid int, key string) float64 {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "smaps_rollup"))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// cgroupMemoryMB is the memory usage of pid's memory cgroup, in MiB (0 when
// it has none of its own).
func cgroupMemoryMB(pid int) float64 {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || parts[2] == "/" {
			continue
		}
		var file string
		switch {
		case parts[0] == "0" && parts[1] == "":
			file = filepath.Join("/sys/fs/cgroup", parts[2], "memory.current")
		case strings.Contains(","+parts[1]+",", ",memory,"):
			file = filepath.Join("/sys/fs/cgroup/memory", parts[2], "memory.usage_in_bytes")
		default:
			continue
		}
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		n, _ := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
		return n / (1 << 20)
	}
	return 0
}
