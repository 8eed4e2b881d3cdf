package e2e

import (
	"sync"
	"testing"
)

// A restarted Hearth remembers the recent scale-out: its ready pool is
// sized from the environments the previous run started, not from nothing,
// and refills at once.
func TestReadyPoolRemembersScaleOut(t *testing.T) {
	metricsAddr := freeAddr(t)
	h := startHearth(t, "", "--metrics-listen", metricsAddr)
	c := h.client()
	createFunction(t, c, "scaleout", runtimeCases[0])
	const n = 4
	var wg sync.WaitGroup
	for range n { // at once: each takes its own environment
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := invoke(t, c, "scaleout", map[string]any{"action": "sleep", "sleepMs": 500}); r.FunctionError != "" {
				t.Errorf("invoke: %s", r.Raw)
			}
		}()
	}
	wg.Wait()
	if got := len(h.environments(t, "scaleout")); got != n {
		t.Fatalf("%d environments after %d concurrent invocations, want %d", got, n, n)
	}
	h.stop()
	h.restart()
	waitFor(t, "the restarted Hearth's ready pool sized from the scale-out before", func() bool {
		fams := scrapeMetrics(t, metricsAddr)
		return metricValue(fams, "hearth_ready_pool_target", nil) >= n && metricValue(fams, "hearth_ready_pool_inits", nil) >= n
	})
}
