package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// runMemory measures Hearth's resident memory when idle and with 100 idle,
// frozen environments of the aws-lambda-go hello function (10 in short
// mode), and the memory of the environments' own processes.
func runMemory(ctx context.Context, tb *toolbox, o Options) (*Result, error) {
	n := 100
	if o.Short {
		n = 10
	}
	h, err := startHearth(tb)
	if err != nil {
		return nil, err
	}
	defer h.Stop()
	r := newResult("memory")
	if err := deploy(ctx, tb, h, "memory", runtimeSpecs[0]); err != nil {
		return nil, err
	}
	// The baseline is taken with the function deployed and one environment
	// running, so that the growth below is the environments' and not the
	// deploy's (the code store, the function's records, warmed caches).
	if c := invoke(ctx, h.Lambda, "memory", "", []byte(`{}`), false); c.Err != nil {
		return nil, c.Err
	}
	if _, err := waitAllFrozen(ctx, h, "memory", 1); err != nil {
		r.problem("baseline: %v", err)
	}
	time.Sleep(500 * time.Millisecond)
	idle, err := rssMB(h.cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	// Every invocation sleeps long enough that all are in flight together:
	// n environments.
	calls, _ := fanOut(n, func(int) call { return invoke(ctx, h.Lambda, "memory", "", []byte(`{"sleepMs":1500}`), false) })
	if fail, first := failures(calls); fail > 0 {
		return nil, fmt.Errorf("%d of %d invocations failed, first: %w", fail, n, first)
	}
	if s := streams(calls); s != n {
		r.problem("%d environments for %d concurrent invocations", s, n)
	}
	envs, err := waitAllFrozen(ctx, h, "memory", n)
	if err != nil {
		r.problem("%v", err)
	}
	time.Sleep(500 * time.Millisecond)
	loaded, err := rssMB(h.cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	var envRSS float64
	for _, e := range envs {
		envRSS += treeRSS(e.Pid)
	}
	t := Table{
		Title:   "Resident memory (MiB)",
		Columns: []string{"figure", "value"},
		Notes: []string{"Hearth's own RSS (the server process, not the functions). Environment processes is the RSS " +
			"of each environment's process tree (its bootstrap), frozen; RSS counts shared pages in every process."},
	}
	t.row("Hearth, one function deployed, one environment", fmt.Sprintf("%.1f", idle))
	t.row(fmt.Sprintf("Hearth, with %d idle frozen environments", len(envs)), fmt.Sprintf("%.1f", loaded))
	t.row("Hearth, per further environment", fmt.Sprintf("%.3f", (loaded-idle)/float64(max(len(envs)-1, 1))))
	t.row("environment processes, per environment", fmt.Sprintf("%.1f", envRSS/float64(max(len(envs), 1))))
	r.Metrics["memory.idle_mb"] = idle
	r.Metrics["memory.loaded_mb"] = loaded
	r.Metrics["memory.environments"] = float64(len(envs))
	r.Metrics["memory.hearth_per_env_mb"] = (loaded - idle) / float64(max(len(envs)-1, 1))
	r.Metrics["memory.env_process_mb"] = envRSS / float64(max(len(envs), 1))
	r.Tables = append(r.Tables, t)
	perRuntime := 10
	if o.Short {
		perRuntime = 2
	}
	rt, err := runtimeMemory(ctx, tb, h, perRuntime, r)
	if err != nil {
		return nil, err
	}
	r.Tables = append(r.Tables, rt)
	return r, nil
}

// treeRSS sums the RSS of a process and its descendants, in MiB.
func treeRSS(pid int) float64 {
	if pid <= 0 {
		return 0
	}
	total, _ := rssMB(pid)
	tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "children"))
	for _, f := range tasks {
		raw, _ := os.ReadFile(f)
		for _, c := range strings.Fields(string(raw)) {
			if child, err := strconv.Atoi(c); err == nil {
				total += treeRSS(child)
			}
		}
	}
	return total
}
