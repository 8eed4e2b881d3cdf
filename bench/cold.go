package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// coldGap is the pause before each cold-start sample.
const coldGap = 150 * time.Millisecond

// runCold measures first invocations: for each runtime, a new function is
// created and invoked once, ≥ 30 times (3 in short mode). Each sample is a
// first-invocation cold start; the function is deleted after it, off the
// measured path, so idle environments do not pile up.
func runCold(ctx context.Context, tb *toolbox, o Options) (*Result, error) {
	n := 30
	if o.Short {
		n = 3
	}
	h, err := startHearth(tb)
	if err != nil {
		return nil, err
	}
	defer h.Stop()
	r := newResult("cold")
	t := Table{
		Title:   fmt.Sprintf("Cold start, first invocation of a new function, %d samples per runtime (ms)", n),
		Columns: []string{"runtime", "end to end p50", "p99", "Init Duration p50", "p99", "of which sandbox setup p50", "runtime start p50", "first response (Duration) p50", "API + routing p50", "pre-started", "end to end p50, no log tail"},
		Notes: []string{"End to end is the client's Invoke round trip with SigV4. Init Duration is the REPORT line's: " +
			"from sandbox start until the runtime's first /next. Of it, sandbox setup is Hearth's logged sandbox_ms " +
			"(namespaces, cgroups, process start) and runtime start the remainder (the runtime and the handler " +
			"loading). First response is the REPORT Duration; API + routing is what remains of end to end. Pre-started counts the " +
			"samples a pre-started interpreter served (Python and Node; since creating a function starts its runtime's interpreter, the first of each runtime can be one). Samples are " +
			"150 ms apart. The samples ask for LogType Tail, whose answer waits for the REPORT line; the last column is a third as " +
			"many more cold starts without it, as most clients invoke (their answer leaves when the function has responded)."},
	}
	for _, rt := range runtimeSpecs {
		zip, err := tb.zip(rt)
		if err != nil {
			return nil, err
		}
		var e2e dist
		prestarted := 0
		var sandbox, initD, runtimeStart, dur, rest []float64
		for i := range n {
			// New functions' first invocations come apart, not as a burst
			// (bench burst measures that): a pause before each leaves the
			// previous sample's stop and refill work behind it.
			time.Sleep(coldGap)
			name := fmt.Sprintf("cold-%s-%d", rt.Name, i)
			if err := createFunction(ctx, h.Lambda, name, rt, zip); err != nil {
				return nil, err
			}
			c := invoke(ctx, h.Lambda, name, "", []byte(`{}`), true)
			if c.Err != nil {
				r.problem("cold %s #%d: %v", rt.Name, i, c.Err)
				continue
			}
			if !c.HasInit {
				r.problem("cold %s #%d: no Init Duration in REPORT", rt.Name, i)
			}
			cl, ok := h.coldStart(c.Stream)
			if !ok || cl.Reason != "first-invocation" {
				r.problem("cold %s #%d: Hearth logged no first-invocation cold start for %s", rt.Name, i, c.Stream)
			}
			if cl.Prestarted {
				prestarted++
			}
			e2e = append(e2e, c.Latency())
			sandbox = append(sandbox, cl.SandboxMs)
			initD = append(initD, c.InitMs)
			dur = append(dur, c.DurationMs)
			runtimeStart = append(runtimeStart, c.InitMs-cl.SandboxMs)
			rest = append(rest, msOf(c.Latency())-c.InitMs-c.DurationMs)
			if _, err := h.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)}); err != nil {
				return nil, err
			}
		}
		var plain dist
		for i := range max(n/3, 1) {
			time.Sleep(coldGap)
			name := fmt.Sprintf("cold-%s-plain-%d", rt.Name, i)
			if err := createFunction(ctx, h.Lambda, name, rt, zip); err != nil {
				return nil, err
			}
			if c := invoke(ctx, h.Lambda, name, "", []byte(`{}`), false); c.Err != nil {
				r.problem("cold %s without tail #%d: %v", rt.Name, i, c.Err)
			} else {
				plain = append(plain, c.Latency())
			}
			if _, err := h.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)}); err != nil {
				return nil, err
			}
		}
		fmt.Fprintf(o.Progress, "  cold %s: p50 %s ms\n", rt.Name, fmtDur(e2e.pct(50)))
		t.row(rt.Name+" ("+rt.Runtime+")", fmtDur(e2e.pct(50)), fmtDur(e2e.pct(99)), fmtMs(pctF(initD, 50)),
			fmtMs(pctF(initD, 99)), fmtMs(pctF(sandbox, 50)), fmtMs(pctF(runtimeStart, 50)), fmtMs(pctF(dur, 50)), fmtMs(pctF(rest, 50)),
			fmt.Sprintf("%d/%d", prestarted, len(e2e)), fmtDur(plain.pct(50)))
		r.Metrics["cold."+rt.Name+".p50_ms"] = msOf(e2e.pct(50))
		r.Metrics["cold."+rt.Name+".p99_ms"] = msOf(e2e.pct(99))
		r.Metrics["cold."+rt.Name+".no_tail_p50_ms"] = msOf(plain.pct(50))
		r.Metrics["cold."+rt.Name+".init_p50_ms"] = pctF(initD, 50)
		r.Metrics["cold."+rt.Name+".sandbox_p50_ms"] = pctF(sandbox, 50)
		r.Metrics["cold."+rt.Name+".samples"] = float64(len(e2e))
		r.Metrics["cold."+rt.Name+".prestarted"] = float64(prestarted)
	}
	r.Tables = append(r.Tables, t)
	return r, nil
}
