package main

import (
	"context"
	"fmt"
	"time"
)

// burstRun is one burst: n invocations, after a pause.
type burstRun struct {
	n     int
	pause time.Duration // before the burst: the ready pool refills meanwhile
	label string        // the table's N column; "" = n
	key   string        // of the metrics; "" = n
}

// secondBurstPause is how long the second burst of 500 waits after the
// first: the ready pool, sized from the first burst's scale-out, refills
// meanwhile.
const secondBurstPause = 8 * time.Second

// runBurst sends N invocations at once to a fresh aws-lambda-go function
// and reports the time until all have answered, the environments created
// and the failures, which must be none.
func runBurst(ctx context.Context, tb *toolbox, o Options) (*Result, error) {
	runs := []burstRun{{n: 100}, {n: 500}, {n: 500, pause: secondBurstPause, label: "500 again, 8 s later", key: "500_again"}}
	if o.Short {
		runs = runs[:1]
	}
	h, err := startHearth(tb, "--concurrency-limit", "1000")
	if err != nil {
		return nil, err
	}
	defer h.Stop()
	r := newResult("burst")
	t := Table{
		Title: "Burst: N concurrent invocations of a fresh aws-lambda-go function",
		Columns: []string{"N", "all answered after (ms)", "target", "p50 (ms)", "p99 (ms)", "environments", "cold starts", "failures",
			"CPU per environment (ms)", "target"},
		Notes: []string{"Each burst goes to a new function, so every environment it uses is started by it. " +
			"The function answers at once, so environments that finish early serve later requests: " +
			"environments is how many the burst needed, not N. CPU per environment is Hearth's and its environments' CPU " +
			"(user + system, /proc/PID/stat of the server and every living descendant) over the burst, divided by the " +
			"environments; the kernel's own threads (network namespace teardown) are not in it. " +
			"\"500 again\" is a second burst of 500, to another new function, 8 s after the first: the ready pool " +
			"(kept inits and spare namespaces and disks, sized from recent scale-out) was refilled meanwhile, " +
			"so part of the work per environment was done before the burst and is not counted."},
	}
	for i, run := range runs {
		n, label, key := run.n, run.label, run.key
		if label == "" {
			label = fmt.Sprint(n)
		}
		if key == "" {
			key = fmt.Sprint(n)
		}
		time.Sleep(run.pause)
		name := fmt.Sprintf("burst-%d-%d", n, i)
		if err := deploy(ctx, tb, h, name, runtimeSpecs[0]); err != nil {
			return nil, err
		}
		s0, c0 := treeCPU(h.cmd.Process.Pid)
		calls, total := fanOut(n, func(int) call { return invoke(ctx, h.Lambda, name, "", []byte(`{}`), true) })
		s1, c1 := treeCPU(h.cmd.Process.Pid)
		fail, first := failures(calls)
		if fail > 0 {
			r.problem("burst %d: %d failed, first: %v", n, fail, first)
		}
		envs, cold := streams(calls), colds(calls)
		if cold != envs {
			r.problem("burst %d: %d cold starts for %d environments", n, cold, envs)
		}
		lat := latencies(calls)
		cpu := msOf(s1-s0+c1-c0) / float64(max(envs, 1))
		target := ""
		if n == 500 {
			target = "≤ 2000"
		}
		t.row(label, fmtDur(total), target, fmtDur(lat.pct(50)), fmtDur(lat.pct(99)), fmt.Sprint(envs), fmt.Sprint(cold), fmt.Sprint(fail),
			fmt.Sprintf("%.1f", cpu), "≤ 6")
		r.Metrics["burst."+key+".cpu_per_env_ms"] = cpu
		r.Metrics["burst."+key+".total_ms"] = msOf(total)
		r.Metrics["burst."+key+".environments"] = float64(envs)
		r.Metrics["burst."+key+".failures"] = float64(fail)
		fmt.Fprintf(o.Progress, "  burst %s: %s ms, %d environments, CPU per environment %.1f ms (server %.1f, environments %.1f)\n",
			label, fmtDur(total), envs, cpu, msOf(s1-s0)/float64(max(envs, 1)), msOf(c1-c0)/float64(max(envs, 1)))
	}
	r.Tables = append(r.Tables, t)
	return r, nil
}
