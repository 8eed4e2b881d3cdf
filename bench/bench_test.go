package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScenariosShort runs every scenario with few iterations so that the
// benchmark never rots. It checks correctness only — every invocation
// answered, the seed's counts of environments and cold starts, the
// pictures written — never timing.
func TestScenariosShort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Hearth, the emulator and real functions; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := t.TempDir()
	results, err := Run(ctx, nil, Options{Short: true, OutDir: out, Progress: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(scenarios) {
		t.Fatalf("%d results for %d scenarios", len(results), len(scenarios))
	}
	for _, r := range results {
		for _, p := range r.Problems {
			t.Errorf("%s: %s", r.Scenario, p)
		}
		for _, u := range r.Unsupported {
			t.Logf("%s: %s", r.Scenario, u)
		}
		// A scenario that needs something this run was not given (such as
		// compare's older build) says so and has no table.
		if len(r.Unsupported) == 0 && (len(r.Tables) == 0 || len(r.Tables[0].Rows) == 0) {
			t.Errorf("%s: no table", r.Scenario)
		}
		metrics := map[string]float64{}
		for k, v := range r.Metrics {
			metrics[k] = v
		}
		switch r.Scenario {
		case "cold":
			for _, rt := range runtimeSpecs {
				if n := metrics["cold."+rt.Name+".samples"]; n != 3 {
					t.Errorf("cold %s: %v samples, want 3", rt.Name, n)
				}
				if metrics["cold."+rt.Name+".no_tail_p50_ms"] <= 0 {
					t.Errorf("cold %s: no cold start timed without the log tail", rt.Name)
				}
			}
		case "isolation", "compare":
			// The floor runs wherever Hearth isolates (compare: always).
			floor := metrics["isolation.floor_p50_ms"] + metrics["compare.floor_init_p50_ms"]
			if len(r.Unsupported) == 0 && floor <= 0 {
				t.Errorf("%s: no floor measured: %v", r.Scenario, metrics)
			}
			if r.Scenario == "isolation" && len(r.Unsupported) == 0 && metrics["isolation.phase.exec_p50_ms"] <= 0 {
				t.Errorf("isolation: no start phases from Hearth's debug log: %v", metrics)
			}
		case "burst":
			if metrics["burst.100.failures"] != 0 || metrics["burst.100.environments"] < 1 {
				t.Errorf("burst: %v", metrics)
			}
		case "patterns":
			for _, p := range []string{"concurrent-6", "sequential-6", "back-to-back-6"} {
				if _, err := os.Stat(filepath.Join(out, "timeline-"+p+".svg")); err != nil {
					t.Errorf("pattern %s drew no picture: %v", p, err)
				}
			}
		case "memory":
			if metrics["memory.environments"] != 10 || metrics["memory.idle_mb"] <= 0 {
				t.Errorf("memory: %v", metrics)
			}
		}
	}
	var sb strings.Builder
	writeText(&sb, results)
	t.Log("\n" + sb.String())
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestParseReport(t *testing.T) {
	tests := []struct {
		name     string
		log      string
		hasInit  bool
		init, du float64
	}{
		{"cold", "START RequestId: a\nEND RequestId: a\nREPORT RequestId: a\tDuration: 1.25 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 9 MB\tInit Duration: 5.50 ms\t\n", true, 5.5, 1.25},
		{"warm", "REPORT RequestId: b\tDuration: 0.31 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 9 MB\t\n", false, 0, 0.31},
		{"last of two", "REPORT RequestId: a\tDuration: 9.00 ms\tInit Duration: 1.00 ms\t\nREPORT RequestId: b\tDuration: 2.00 ms\t\n", false, 0, 2},
		{"none", "hello\n", false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hasInit, init, du := parseReport(tt.log)
			if hasInit != tt.hasInit || init != tt.init || du != tt.du {
				t.Errorf("parseReport = %v %v %v, want %v %v %v", hasInit, init, du, tt.hasInit, tt.init, tt.du)
			}
		})
	}
}

func TestLogFields(t *testing.T) {
	line := `time=2026-11-25T10:00:00.000Z level=INFO msg="cold start" function=f version=$LATEST env=abc reason=first-invocation init_ms=5.2 sandbox_ms=2.1`
	kv := logFields(line)
	want := map[string]string{"msg": "cold start", "env": "abc", "reason": "first-invocation", "init_ms": "5.2", "sandbox_ms": "2.1", "version": "$LATEST"}
	for k, v := range want {
		if kv[k] != v {
			t.Errorf("%s = %q, want %q", k, kv[k], v)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d dist
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 99.9: 100 * time.Millisecond, 100: 100 * time.Millisecond} {
		if got := d.pct(p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if (dist{}).pct(50) != 0 {
		t.Error("empty dist")
	}
}
