package main

import (
	"context"
	"fmt"
)

// runBurst sends N invocations at once to a fresh aws-lambda-go function
// and reports the time until all have answered, the environments created
// and the failures, which must be none.
func runBurst(ctx context.Context, tb *toolbox, o Options) (*Result, error) {
	sizes := []int{100, 500}
	if o.Short {
		sizes = []int{100}
	}
	h, err := startHearth(tb, "--concurrency-limit", "1000")
	if err != nil {
		return nil, err
	}
	defer h.Stop()
	r := newResult("burst")
	t := Table{
		Title:   "Burst: N concurrent invocations of a fresh aws-lambda-go function",
		Columns: []string{"N", "all answered after (ms)", "p50 (ms)", "p99 (ms)", "environments", "cold starts", "failures"},
		Notes: []string{"Each burst goes to a new function, so every environment it uses is started by it. " +
			"The function answers at once, so environments that finish early serve later requests: " +
			"environments is how many the burst needed, not N."},
	}
	for _, n := range sizes {
		name := fmt.Sprintf("burst-%d", n)
		if err := deploy(ctx, tb, h, name, runtimeSpecs[0]); err != nil {
			return nil, err
		}
		calls, total := fanOut(n, func(int) call { return invoke(ctx, h.Lambda, name, "", []byte(`{}`), true) })
		fail, first := failures(calls)
		if fail > 0 {
			r.problem("burst %d: %d failed, first: %v", n, fail, first)
		}
		envs, cold := streams(calls), colds(calls)
		if cold != envs {
			r.problem("burst %d: %d cold starts for %d environments", n, cold, envs)
		}
		lat := latencies(calls)
		t.row(fmt.Sprint(n), fmtDur(total), fmtDur(lat.pct(50)), fmtDur(lat.pct(99)), fmt.Sprint(envs), fmt.Sprint(cold), fmt.Sprint(fail))
		r.Metrics[fmt.Sprintf("burst.%d.total_ms", n)] = msOf(total)
		r.Metrics[fmt.Sprintf("burst.%d.environments", n)] = float64(envs)
		r.Metrics[fmt.Sprintf("burst.%d.failures", n)] = float64(fail)
		fmt.Fprintf(o.Progress, "  burst %d: %s ms, %d environments\n", n, fmtDur(total), envs)
	}
	r.Tables = append(r.Tables, t)
	return r, nil
}
