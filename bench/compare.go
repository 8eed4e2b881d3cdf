package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// runCompare measures Go cold starts of two builds side by side: a base
// and the hearth under test, both isolated, one first invocation each in
// turn, so that a busy machine's noise falls on both alike. The base is
// $HEARTH_BENCH_BASE (an older build), or else this tree built without
// its sandbox init (-tags hearth_noinit: environments re-execute hearth).
// It runs with the ready pool of kept inits and without it (--prestart 0:
// every cold start spawns its init); with kept inits, the floor (goFloor)
// is sampled in the same rounds.
func runCompare(ctx context.Context, tb *toolbox, o Options) (*Result, error) {
	r := newResult("compare")
	base := os.Getenv("HEARTH_BENCH_BASE")
	if base == "" {
		var err error
		if base, err = buildNoInit(tb); err != nil {
			return nil, err
		}
	}
	n := 30
	if o.Short {
		n = 3
	}
	cur, err := tb.hearth()
	if err != nil {
		return nil, err
	}
	t := Table{
		Title:   fmt.Sprintf("Go cold starts of two builds side by side, %d first invocations each, interleaved (ms)", n),
		Columns: []string{"build", "ready pool", "end to end p50", "Init Duration p50", "sandbox setup p50"},
		Notes:   []string{"base: " + base + "; new: " + cur + "."},
	}
	for _, pool := range []struct{ name, flag string }{{"kept inits", ""}, {"none", "0"}} {
		got, floorMs, err := compareOnce(ctx, tb, []string{base, cur}, pool.flag, n, r)
		if err != nil {
			return nil, err
		}
		if floorMs != nil {
			t.row("floor", "the bootstrap executed bare", "", fmtMs(pctF(floorMs, 50)), "")
			r.Metrics["compare.floor_init_p50_ms"] = pctF(floorMs, 50)
		}
		for i, label := range []string{"base", "new"} {
			s := got[i]
			t.row(label, pool.name, fmtDur(s.e2e.pct(50)), fmtMs(pctF(s.init, 50)), fmtMs(pctF(s.sandbox, 50)))
			key := "compare." + label + "." + map[string]string{"": "kept", "0": "spawn"}[pool.flag]
			r.Metrics[key+".p50_ms"] = msOf(s.e2e.pct(50))
			r.Metrics[key+".init_p50_ms"] = pctF(s.init, 50)
		}
	}
	r.Tables = append(r.Tables, t)
	return r, nil
}

// coldSamples are one build's cold starts.
type coldSamples struct {
	e2e           dist
	init, sandbox []float64
}

// compareOnce starts each binary with --prestart prestart (when set) and
// invokes n new functions on each, alternating which goes first; with
// the default pool it samples the floor too (ms, until the first /next).
func compareOnce(ctx context.Context, tb *toolbox, bins []string, prestart string, n int, r *Result) (_ []*coldSamples, floorMs []float64, err error) {
	var floor *goFloor
	if prestart == "" {
		bootstrap, err := tb.goBootstrap()
		if err != nil {
			return nil, nil, err
		}
		if floor, err = newGoFloor(bootstrap); err != nil {
			return nil, nil, err
		}
		defer floor.Close()
	}
	var procs []*hearthProc
	for _, bin := range bins {
		var extra []string
		if prestart != "" {
			extra = []string{"--prestart", prestart}
		}
		h, err := startHearthBinary(tb, bin, extra...)
		if err != nil {
			return nil, nil, err
		}
		defer h.Stop()
		procs = append(procs, h)
	}
	rt := runtimeSpecs[0]
	zip, err := tb.zip(rt)
	if err != nil {
		return nil, nil, err
	}
	got := []*coldSamples{{}, {}}
	for i := range n {
		if floor != nil {
			d, err := floor.sample()
			if err != nil {
				return nil, nil, err
			}
			floorMs = append(floorMs, msOf(d))
		}
		for j := range procs {
			k := (i + j) % len(procs)
			h, name := procs[k], fmt.Sprintf("compare-%d-%d", k, i)
			if err := createFunction(ctx, h.Lambda, name, rt, zip); err != nil {
				return nil, nil, err
			}
			c := invoke(ctx, h.Lambda, name, "", []byte(`{}`), true)
			if c.Err != nil || !c.HasInit {
				r.problem("compare %s #%d: %v (cold: %v)", bins[k], i, c.Err, c.HasInit)
				continue
			}
			cl, _ := h.coldStart(c.Stream)
			got[k].e2e = append(got[k].e2e, c.Latency())
			got[k].init = append(got[k].init, c.InitMs)
			got[k].sandbox = append(got[k].sandbox, cl.SandboxMs)
			if _, err := h.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)}); err != nil {
				return nil, nil, err
			}
		}
	}
	return got, floorMs, nil
}

// buildNoInit builds this tree's hearth without its embedded sandbox init.
func buildNoInit(tb *toolbox) (string, error) {
	bin := filepath.Join(tb.dir, "hearth-noinit")
	cmd := exec.Command("go", "build", "-tags", "hearth_noinit", "-o", bin, "./cmd/hearth")
	cmd.Dir = tb.root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build -tags hearth_noinit: %w\n%s", err, out)
	}
	return bin, nil
}
