package sandbox

import (
	"testing"
	"time"
)

// TestInterpPoolPlan: one interpreter for each runtime in recent use, the
// most recent first, more for a runtime with several recent cold starts,
// never more than the bound; idle runtimes lose theirs.
func TestInterpPoolPlan(t *testing.T) {
	ip := newInterpPool(3)
	spec := func(path string) Spec { return Spec{Path: path, Prestart: &Prestart{}} }
	fill := func() map[string]int {
		got := map[string]int{}
		for range 10 {
			key, _, drop := ip.plan()
			for _, it := range drop {
				got[it.key]--
			}
			if key == "" {
				return got
			}
			if !ip.put(&interp{key: key}) {
				t.Fatalf("put %s refused", key)
			}
			got[key]++
		}
		t.Fatal("plan never settles")
		return nil
	}
	if got := fill(); len(got) != 0 {
		t.Fatalf("nothing used yet, planned %v", got)
	}
	ip.take("py", spec("python"))
	if got := fill(); got["py"] != 1 || len(got) != 1 {
		t.Fatalf("after one python start: %v", got)
	}
	if it := ip.take("py", spec("python")); it != nil {
		t.Fatalf("take returned a fake interpreter as alive")
	}
	// Two python starts within the window: two ready.
	if got := fill(); got["py"] != 2 {
		t.Fatalf("after two python starts: %v", got)
	}
	ip.take("node", spec("node"))
	got := fill()
	if got["node"] != 1 || ip.count() != 3 {
		t.Fatalf("after a node start: %v, %d ready", got, ip.count())
	}
	for range 3 {
		ip.take("go", spec("other"))
		fill()
	}
	if n := len(ip.ready["go"]) + len(ip.ready["node"]) + len(ip.ready["py"]); n > 3 {
		t.Fatalf("%d ready, bound 3: %v", n, ip.ready)
	}
	old := interpIdle
	interpIdle = 0
	defer func() { interpIdle = old }()
	time.Sleep(time.Millisecond)
	if _, _, drop := ip.plan(); len(drop) != 3 || ip.count() != 0 {
		t.Fatalf("idle runtimes kept %d, dropped %d", ip.count(), len(drop))
	}
}

// TestInterpPoolExpect: a runtime that is only expected (a function of it
// was just created) is planned one interpreter, and the keeper is woken
// at once, but not when one is ready or booting already.
func TestInterpPoolExpect(t *testing.T) {
	ip := newInterpPool(2)
	woken := func() bool {
		select {
		case <-ip.expected:
			return true
		default:
			return false
		}
	}
	ip.expect("py", Spec{Path: "python", Prestart: &Prestart{}})
	if !woken() {
		t.Fatal("expect did not wake the keeper")
	}
	key, tmpl, _ := ip.plan()
	if key != "py" || tmpl.Path != "python" {
		t.Fatalf("planned %q (%q) after expect, want py", key, tmpl.Path)
	}
	done := ip.boot("py")
	ip.expect("py", Spec{Path: "python", Prestart: &Prestart{}})
	if woken() {
		t.Fatal("expect woke the keeper while py was booting")
	}
	done()
	ip.put(&interp{key: "py"})
	ip.expect("py", Spec{Path: "python", Prestart: &Prestart{}})
	if woken() {
		t.Fatal("expect woke the keeper with py ready")
	}
	if key, _, _ := ip.plan(); key != "" {
		t.Fatalf("planned %q with py ready and nothing else wanted", key)
	}
	if d := ip.wanted["py"]; len(d.starts) != 0 {
		t.Fatalf("expect counted %d cold starts", len(d.starts))
	}
}
