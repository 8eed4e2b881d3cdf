package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// runIsolation measures what the sandbox costs a cold start: the same
// aws-lambda-go hello, first invocations of new functions, on a Hearth that
// isolates environments (namespaces, cgroups, its own root; needs root) and
// on one that runs plain processes, interleaved in one run.
func runIsolation(ctx context.Context, tb *toolbox, o Options) (*Result, error) {
	r := newResult("isolation")
	if os.Geteuid() != 0 {
		r.Unsupported = append(r.Unsupported, "isolation: not root, so Hearth cannot isolate environments")
		return r, nil
	}
	n := 30
	if o.Short {
		n = 3
	}
	modes := []string{"auto", "off"}
	procs := map[string]*hearthProc{}
	for _, m := range modes {
		h, err := startHearth(tb, "--isolation", m)
		if err != nil {
			return nil, err
		}
		defer h.Stop()
		procs[m] = h
	}
	rt := runtimeSpecs[0]
	zip, err := tb.zip(rt)
	if err != nil {
		return nil, err
	}
	type samples struct {
		e2e           dist
		init, sandbox []float64
	}
	got := map[string]*samples{"auto": {}, "off": {}}
	for i := range n {
		for _, m := range modes {
			h := procs[m]
			name := fmt.Sprintf("iso-%s-%d", m, i)
			if err := createFunction(ctx, h.Lambda, name, rt, zip); err != nil {
				return nil, err
			}
			c := invoke(ctx, h.Lambda, name, "", []byte(`{}`), true)
			if c.Err != nil || !c.HasInit {
				r.problem("isolation %s #%d: %v (cold: %v)", m, i, c.Err, c.HasInit)
				continue
			}
			cl, _ := h.coldStart(c.Stream)
			s := got[m]
			s.e2e = append(s.e2e, c.Latency())
			s.init = append(s.init, c.InitMs)
			s.sandbox = append(s.sandbox, cl.SandboxMs)
			if _, err := h.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)}); err != nil {
				return nil, err
			}
		}
	}
	t := Table{
		Title:   fmt.Sprintf("Cold start with and without the sandbox, aws-lambda-go hello, %d samples each, interleaved (ms)", n),
		Columns: []string{"environments", "end to end p50", "p99", "Init Duration p50", "p99", "sandbox setup p50"},
		Notes: []string{"isolated: new mount, PID, IPC, UTS and network namespaces (Runtime API inside, NAT link), " +
			"a cgroup (memory, pids, cpu, freezer), its own read-only root, a uid of its own, seccomp, " +
			"/tmp on a loop-mounted disk; plain: an ordinary child process. " +
			"The ratio row divides isolated by plain."},
	}
	label := map[string]string{"auto": "isolated", "off": "plain processes"}
	for _, m := range modes {
		s := got[m]
		t.row(label[m], fmtDur(s.e2e.pct(50)), fmtDur(s.e2e.pct(99)), fmtMs(pctF(s.init, 50)), fmtMs(pctF(s.init, 99)), fmtMs(pctF(s.sandbox, 50)))
		r.Metrics["isolation."+label[m]+".p50_ms"] = msOf(s.e2e.pct(50))
		r.Metrics["isolation."+label[m]+".init_p50_ms"] = pctF(s.init, 50)
	}
	iso, plain := got["auto"], got["off"]
	t.row("ratio", ratio(msOf(iso.e2e.pct(50)), msOf(plain.e2e.pct(50))), "", ratio(pctF(iso.init, 50), pctF(plain.init, 50)), "", "")
	r.Metrics["isolation.added_init_p50_ms"] = pctF(iso.init, 50) - pctF(plain.init, 50)
	r.Tables = append(r.Tables, t)
	return r, nil
}
