package main

import (
	"context"
	"fmt"
)

// runFreeze measures what freezing costs a warm invocation: sequential warm
// calls on a Hearth that freezes an environment as soon as it is released
// (Lambda's behaviour, the default) and on one that waits 5 ms first, so
// that back-to-back calls skip the freeze and thaw.
func runFreeze(ctx context.Context, tb *toolbox, o Options) (*Result, error) {
	n := 3000
	if o.Short {
		n = 30
	}
	r := newResult("freeze")
	t := Table{
		Title:   fmt.Sprintf("Warm invocations and freezing, aws-lambda-go hello, %d sequential calls each (ms)", n),
		Columns: []string{"--freeze-delay", "p50", "p99", "p99.9"},
		Notes:   []string{"0 freezes every environment right after its response, as Lambda does; the next call pays the thaw."},
	}
	for _, delay := range []string{"0s", "5ms"} {
		h, err := startHearth(tb, "--freeze-delay", delay)
		if err != nil {
			return nil, err
		}
		if err := deploy(ctx, tb, h, "freeze", runtimeSpecs[0]); err != nil {
			h.Stop()
			return nil, err
		}
		var calls []call
		for i := range n + 20 {
			c := invoke(ctx, h.Lambda, "freeze", "", []byte(`{}`), false)
			if i >= 20 {
				calls = append(calls, c)
			}
		}
		h.Stop()
		if k, first := failures(calls); k > 0 {
			r.problem("freeze-delay %s: %d failed, first: %v", delay, k, first)
		}
		lat := latencies(calls)
		t.row(delay, fmtDur(lat.pct(50)), fmtDur(lat.pct(99)), fmtDur(lat.pct(99.9)))
		r.Metrics["freeze."+delay+".p50_ms"] = msOf(lat.pct(50))
		r.Metrics["freeze."+delay+".p99_ms"] = msOf(lat.pct(99))
	}
	r.Tables = append(r.Tables, t)
	return r, nil
}
