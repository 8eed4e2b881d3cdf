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
// on one that runs plain processes, and the floor (the bootstrap executed
// bare, see goFloor), interleaved in one run; and where an isolated start's
// Init Duration goes, from Hearth's debug log of its phases.
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
		h, err := startHearth(tb, "--isolation", m, "--log-level", "debug")
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
	bootstrap, err := tb.goBootstrap()
	if err != nil {
		return nil, err
	}
	floor, err := newGoFloor(bootstrap)
	if err != nil {
		return nil, err
	}
	defer floor.Close()
	type samples struct {
		e2e           dist
		init, sandbox []float64
	}
	got := map[string]*samples{"auto": {}, "off": {}}
	var floorMs []float64
	phases := map[string][]float64{}
	for i := range n {
		d, err := floor.sample()
		if err != nil {
			return nil, err
		}
		floorMs = append(floorMs, msOf(d))
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
			if m == "auto" && cl.Phases != nil {
				for k, v := range cl.Phases {
					phases[k] = append(phases[k], v)
				}
				phases["duration"] = append(phases["duration"], c.InitMs)
			}
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
	t.row("floor: the bootstrap executed bare, until its first /next", "", "", fmtMs(pctF(floorMs, 50)), fmtMs(pctF(floorMs, 99)), "")
	r.Metrics["isolation.added_init_p50_ms"] = pctF(iso.init, 50) - pctF(plain.init, 50)
	r.Metrics["isolation.floor_p50_ms"] = pctF(floorMs, 50)
	r.Tables = append(r.Tables, t, phaseTable(phases, r))
	return r, nil
}

// startPhases are the phases of Hearth's "sandbox: start phases" line, in
// order, with what ends each.
var startPhases = []struct{ key, what string }{
	{"init", "an init taken from the ready pool (or spawned)"},
	{"trees", "the function's trees cloned (open_tree)"},
	{"limits", "the memory limit set (the rest preset at spawn)"},
	{"config", "the init woke with its Config and trees"},
	{"root", "the init attached the trees, root read-only"},
	{"exec", "the init dropped privileges: execve"},
	{"seen", "Hearth saw the execve"},
}

// phaseTable is where an isolated start's Init Duration goes: the p50 of
// each moment since the sandbox's Start, and of the Init Duration, whose
// rest after the execve is the bootstrap's own start until its /next.
func phaseTable(phases map[string][]float64, r *Result) Table {
	t := Table{
		Title:   "Where an isolated Go cold start's Init Duration goes (p50, ms since the sandbox's Start)",
		Columns: []string{"moment", "p50", "step p50"},
		Notes: []string{"From Hearth's debug line \"sandbox: start phases\" (CLOCK_MONOTONIC, the init's own " +
			"times included). Step is the p50 of each sample's difference to the previous moment. The Init Duration " +
			"starts a little before the sandbox's Start (the log stream, the environment's variables)."},
	}
	prev := ""
	for _, p := range startPhases {
		step := ""
		if prev != "" {
			step = fmtMs(pctF(diffs(phases[p.key], phases[prev]), 50))
		} else {
			step = fmtMs(pctF(phases[p.key], 50))
		}
		t.row(p.key+": "+p.what, fmtMs(pctF(phases[p.key], 50)), step)
		r.Metrics["isolation.phase."+p.key+"_p50_ms"] = pctF(phases[p.key], 50)
		prev = p.key
	}
	t.row("Init Duration: the bootstrap's first /next", fmtMs(pctF(phases["duration"], 50)), fmtMs(pctF(diffs(phases["duration"], phases["exec"]), 50)))
	return t
}

// diffs returns a[i]-b[i] for the samples both have.
func diffs(a, b []float64) []float64 {
	out := make([]float64, 0, min(len(a), len(b)))
	for i := range min(len(a), len(b)) {
		out = append(out, a[i]-b[i])
	}
	return out
}
