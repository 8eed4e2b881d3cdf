package metrics

import "testing"

func TestRegistry(t *testing.T) {
	r := New()
	s := Series{Function: "fn", Qualifier: "live"}
	done1 := r.Start(s, "first-invocation", false, false)
	done2 := r.Start(s, "", true, false)
	done3 := r.Start(s, "scale-out", false, true)
	r.Throttled(s)
	done1()
	snap := r.Snapshot()
	if len(snap) != 1 {
		t.Fatalf("series: %d", len(snap))
	}
	c := snap[0].Counters
	want := Counters{Invocations: 3, Throttles: 1, Concurrent: 2, MaxConcurrent: 3, Provisioned: 1, Spillover: 1}
	if c.Invocations != want.Invocations || c.Throttles != want.Throttles || c.Concurrent != want.Concurrent ||
		c.MaxConcurrent != want.MaxConcurrent || c.Provisioned != want.Provisioned || c.Spillover != want.Spillover {
		t.Errorf("counters %+v, want %+v", c, want)
	}
	if c.ColdStarts["first-invocation"] != 1 || c.ColdStarts["scale-out"] != 1 || len(c.ColdStarts) != 2 {
		t.Errorf("cold starts %v", c.ColdStarts)
	}
	done2()
	done3()
	if got := r.Snapshot()[0].Concurrent; got != 0 {
		t.Errorf("concurrent after all ended: %d", got)
	}
	var nilReg *Registry
	nilReg.Start(s, "", false, false)()
	nilReg.Throttled(s)
}
