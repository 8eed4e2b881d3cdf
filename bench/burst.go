package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// burstRun is one burst: n invocations, after a pause.
type burstRun struct {
	n       int
	pause   time.Duration // before the burst: the ready pool refills meanwhile
	label   string        // the table's N column
	key     string        // of the metrics
	restart bool          // Hearth restarts on its data dir before the burst
}

// secondBurstPause is how long the second burst waits after the first at
// least: the ready pool, sized from the first burst's scale-out, refills
// meanwhile. The burst then waits until the pool holds its target
// (hearth_ready_pool_inits), up to refillWait more.
const (
	secondBurstPause = 8 * time.Second
	refillWait       = time.Minute
)

// runBurst sends N invocations at once to a fresh aws-lambda-go function
// on a freshly started Hearth, then again to another fresh function once
// the ready pool has refilled, then, after Hearth restarted on the same
// data dir and its pool refilled, to a third; it reports the time until
// all have answered, the environments created, the failures (which must
// be none) and the CPU per environment, the server's and the
// environments' apart.
func runBurst(ctx context.Context, tb *toolbox, o Options) (*Result, error) {
	n := 500
	if o.Short {
		n = 100
	}
	runs := []burstRun{
		{n: n, label: fmt.Sprintf("%d, fresh server", n), key: strconv.Itoa(n)},
		{n: n, pause: secondBurstPause, label: fmt.Sprintf("%d again, ready pool refilled", n), key: strconv.Itoa(n) + "_again"},
		{n: n, pause: restartPause, restart: true, label: fmt.Sprintf("%d after a restart, ready pool refilled", n), key: strconv.Itoa(n) + "_restart"},
	}
	if o.Short {
		runs = runs[:1] // a correctness check: the refill's wait would double the scenario
	}
	metricsAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	flags := []string{"--concurrency-limit", "1000", "--metrics-listen", metricsAddr}
	h, err := startHearth(tb, flags...)
	if err != nil {
		return nil, err
	}
	defer func() { h.Stop() }()
	r := newResult("burst")
	t := burstTable()
	for _, run := range runs {
		if run.restart {
			if h, err = restartHearth(h, flags...); err != nil {
				return nil, err
			}
		}
		if err := burstOnce(ctx, tb, o, h, metricsAddr, run, r, &t); err != nil {
			return nil, err
		}
	}
	r.Tables = append(r.Tables, t)
	return r, nil
}

// restartPause is how long the restart's burst waits after Hearth's start
// at least, and then until the ready pool holds its target.
const restartPause = 2 * time.Second

// burstTable is the scenario's table, without rows.
func burstTable() Table {
	return Table{
		Title: "Burst: N concurrent invocations of a fresh aws-lambda-go function",
		Columns: []string{"N", "all answered after (ms)", "target", "p50 (ms)", "p99 (ms)", "environments", "cold starts", "failures",
			"kept inits ready before", "CPU per environment (ms)", "server", "environments' own", "target"},
		Notes: []string{"The first burst goes to a Hearth started just before it; the second to another new function, " +
			"at least 8 s later and once the ready pool (kept inits and spare namespaces and disks, sized from the recent " +
			"scale-out) holds its target (at most a minute more; the wait is in the progress output); the third to a third " +
			"function after Hearth was stopped and started again on the same data dir, at least 2 s after the start and once " +
			"the pool holds its target (a Hearth that remembers the recent scale-out refills at once; one that does not has " +
			"one init ready). The function answers at once, so environments that finish early serve later requests: " +
			"environments is how many the burst needed, not N. CPU per environment is Hearth's and its environments' CPU " +
			"(user + system, per-process CPU clocks of the server and every living descendant) over the burst, divided by " +
			"the environments; the kernel's own threads (network namespace teardown) are not in it. Kept inits ready " +
			"before is Hearth's hearth_ready_pool_inits when the burst began; the CPU spent refilling the pool before a " +
			"burst is in the progress output and the metrics burst.*.refill_cpu_ms, not in the burst's figure."},
	}
}

// burstOnce runs one burst against h and adds its row to t and its
// metrics to r.
func burstOnce(ctx context.Context, tb *toolbox, o Options, h *hearthProc, metricsAddr string, run burstRun, r *Result, t *Table) error {
	s0, c0 := treeCPU(h.cmd.Process.Pid)
	began := time.Now()
	pm0, k0 := keptInitMemory(h.cmd.Process.Pid), readKernel()
	time.Sleep(run.pause)
	if run.pause > 0 {
		waitRefilled(metricsAddr, refillWait)
		time.Sleep(time.Second) // the last init's start settles
		if !run.restart {
			reportPoolMemory(o, r, pm0, keptInitMemory(h.cmd.Process.Pid), k0, readyPoolMetrics(metricsAddr))
		}
		fmt.Fprintf(o.Progress, "  burst: %.1f s before the burst %s\n", time.Since(began).Seconds(), run.label)
	}
	name := fmt.Sprintf("burst-%s", run.key)
	if err := deploy(ctx, tb, h, name, runtimeSpecs[0]); err != nil {
		return err
	}
	kept := readyInits(metricsAddr)
	s1, c1 := treeCPU(h.cmd.Process.Pid)
	m := "burst." + run.key + "."
	if run.pause > 0 {
		refill := s1 - s0 + c1 - c0
		r.Metrics[m+"refill_cpu_ms"] = msOf(refill)
		fmt.Fprintf(o.Progress, "  burst: %.0f ms of CPU before the burst %s (the ready pool's refill, deploys, freezing)\n", msOf(refill), run.label)
	}
	calls, total := fanOut(run.n, func(int) call { return invoke(ctx, h.Lambda, name, "", []byte(`{}`), true) })
	s2, c2 := treeCPU(h.cmd.Process.Pid)
	fail, first := failures(calls)
	if fail > 0 {
		r.problem("burst %s: %d failed, first: %v", run.label, fail, first)
	}
	envs, cold := streams(calls), colds(calls)
	if cold != envs {
		r.problem("burst %s: %d cold starts for %d environments", run.label, cold, envs)
	}
	lat := latencies(calls)
	per := func(d time.Duration) float64 { return msOf(d) / float64(max(envs, 1)) }
	server, own := per(s2-s1), per(c2-c1)
	target := ""
	if run.n == 500 {
		target = "≤ 2000"
	}
	keptCell := "—"
	if kept >= 0 {
		keptCell = strconv.Itoa(kept)
	}
	t.row(run.label, fmtDur(total), target, fmtDur(lat.pct(50)), fmtDur(lat.pct(99)), fmt.Sprint(envs), fmt.Sprint(cold), fmt.Sprint(fail),
		keptCell, fmt.Sprintf("%.1f", server+own), fmt.Sprintf("%.1f", server), fmt.Sprintf("%.1f", own), "≤ 6")
	r.Metrics[m+"cpu_per_env_ms"] = server + own
	r.Metrics[m+"server_cpu_per_env_ms"] = server
	r.Metrics[m+"env_cpu_per_env_ms"] = own
	r.Metrics[m+"total_ms"] = msOf(total)
	r.Metrics[m+"environments"] = float64(envs)
	r.Metrics[m+"failures"] = float64(fail)
	r.Metrics[m+"kept_inits_before"] = float64(kept)
	fmt.Fprintf(o.Progress, "  burst %s: %s ms, %d environments (%d kept inits ready), CPU per environment %.1f ms (server %.1f, environments %.1f)\n",
		run.label, fmtDur(total), envs, kept, server+own, server, own)
	return nil
}

// waitRefilled waits until Hearth's ready pool holds its target, at most
// d; at once when Hearth has no such metrics.
func waitRefilled(addr string, d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		v := readyPoolMetrics(addr)
		inits, ok := v["hearth_ready_pool_inits"]
		if !ok || inits >= v["hearth_ready_pool_target"] {
			return
		}
	}
}

// readyInits is Hearth's hearth_ready_pool_inits from its metrics at
// addr, or -1 when it has none (a build before the metric).
func readyInits(addr string) int {
	if v, ok := readyPoolMetrics(addr)["hearth_ready_pool_inits"]; ok {
		return int(v)
	}
	return -1
}

// readyPoolMetrics are Hearth's hearth_ready_pool_* samples from its
// metrics at addr.
func readyPoolMetrics(addr string) map[string]float64 {
	out := map[string]float64{}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || !strings.HasPrefix(name, "hearth_ready_pool_") {
			continue
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			out[name] = f
		}
	}
	return out
}

// kernelReading is a reading of kernelMemory, to subtract from a later one.
type kernelReading struct{ kernel, available uint64 }

func readKernel() kernelReading {
	k, a := kernelMemory()
	return kernelReading{k, a}
}

// reportPoolMemory prints and records what the refilled ready pool holds:
// the kept inits' RSS and PSS each, and the kernel memory and available
// memory that went per init added during the refill (machine-wide
// figures: approximate on a shared machine).
func reportPoolMemory(o Options, r *Result, before, after poolMemory, k0 kernelReading, metrics map[string]float64) {
	if after.inits == 0 {
		return
	}
	k1 := readKernel()
	added := float64(max(after.inits-before.inits, 1))
	mib := func(b float64) float64 { return b / (1 << 20) }
	rss, pss := mib(float64(after.rss)/float64(after.inits)), mib(float64(after.pss)/float64(after.inits))
	kern := mib((float64(k1.kernel) - float64(k0.kernel)) / added)
	avail := mib((float64(k0.available) - float64(k1.available)) / added)
	r.Metrics["burst.pool.kept_inits"] = float64(after.inits)
	r.Metrics["burst.pool.rss_per_init_mib"] = rss
	r.Metrics["burst.pool.pss_per_init_mib"] = pss
	r.Metrics["burst.pool.kernel_per_init_mib"] = kern
	r.Metrics["burst.pool.available_per_init_mib"] = avail
	fmt.Fprintf(o.Progress, "  burst: ready pool %d kept inits (%.0f added): RSS %.2f MiB, PSS %.2f MiB each; kernel memory +%.2f MiB, "+
		"available memory -%.2f MiB per init added; Hearth's estimate %.0f MiB in all (bound %.0f inits)\n",
		after.inits, added, rss, pss, kern, avail, mib(metrics["hearth_ready_pool_memory_bytes"]), metrics["hearth_ready_pool_bound"])
}
