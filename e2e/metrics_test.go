package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrapeMetrics reads and parses the unauthenticated exposition.
func scrapeMetrics(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	return fams
}

// metricWith returns the sample of family name whose labels include want.
func metricWith(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	if fams[name] == nil {
		return nil
	}
next:
	for _, m := range fams[name].Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

func metricValue(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	m := metricWith(fams, name, want)
	switch {
	case m == nil:
		return -1
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return float64(m.Histogram.GetSampleCount())
}

// TestMetricsOutcomes runs invocations of every outcome (and one
// asynchronous event) and checks the
// histograms and counters in the parsed exposition; deleting the function
// removes its series.
func TestMetricsOutcomes(t *testing.T) {
	metricsAddr := freeAddr(t)
	h := startHearth(t, "", "--metrics-listen", metricsAddr)
	c := h.client()
	ctx := context.Background()
	createFunction(t, c, "outcomes", runtimeCases[1], func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(1) })
	invoke(t, c, "outcomes", map[string]any{"action": "echo"}) // cold
	invoke(t, c, "outcomes", map[string]any{"action": "echo"}) // warm
	if r := invoke(t, c, "outcomes", map[string]any{"action": "error"}); r.FunctionError == "" {
		t.Fatalf("error action succeeded: %s", r.Raw)
	}
	if r := invoke(t, c, "outcomes", map[string]any{"action": "sleep", "sleepMs": 3000}); r.FunctionError == "" {
		t.Fatalf("sleep past the timeout succeeded: %s", r.Raw)
	}
	// One asynchronous event, recorded as succeeded.
	if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("outcomes"),
		InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"action":"echo"}`)}); err != nil {
		t.Fatal(err)
	}
	asyncDone := map[string]string{"function": "outcomes", "outcome": "succeeded"}
	waitFor(t, "the async event to succeed", func() bool {
		return metricValue(scrapeMetrics(t, metricsAddr), "hearth_async_events_total", asyncDone) == 1
	})
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("outcomes"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("outcomes")}); apiCode(err) != "TooManyRequestsException" {
		t.Fatalf("invoke with reserved concurrency 0: %v", err)
	}

	fams := scrapeMetrics(t, metricsAddr)
	fn := map[string]string{"function": "outcomes", "qualifier": "$LATEST"}
	with := func(k, v string) map[string]string {
		return map[string]string{"function": "outcomes", "qualifier": "$LATEST", k: v}
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"hearth_invocations_total", fn, 5},
		{"hearth_cold_starts_total", with("reason", "first-invocation"), 1},
		// After the timeout the environment is gone: no cold start yet for
		// the throttled request.
		{"hearth_errors_total", with("type", "Function"), 1},
		{"hearth_errors_total", with("type", "Sandbox.Timedout"), 1},
		{"hearth_timeouts_total", fn, 1},
		{"hearth_throttles_total", with("reason", "ReservedFunctionConcurrentInvocationLimitExceeded"), 1},
		{"hearth_invocation_duration_seconds", with("cold_reason", "first-invocation"), 1},
		{"hearth_invocation_duration_seconds", with("cold_reason", "warm"), 3},
		// The async event came after the timeout had ended the environment.
		{"hearth_cold_starts_total", with("reason", "previous-environment-failed"), 1},
		{"hearth_init_duration_seconds", with("cold_reason", "first-invocation"), 1},
		{"hearth_concurrent_executions", fn, 0},
		{"hearth_environment_stops_total", map[string]string{"function": "outcomes", "reason": "failure"}, 1},
	} {
		if got := metricValue(fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	timed := metricWith(fams, "hearth_invocation_duration_seconds", with("cold_reason", "warm"))
	if sum := timed.GetHistogram().GetSampleSum(); sum < 1 {
		t.Errorf("warm durations sum to %vs; the timed-out one alone ran 1 s", sum)
	}
	for _, std := range []string{"go_goroutines", "process_resident_memory_bytes", "hearth_async_queue_depth"} {
		if fams[std] == nil {
			t.Errorf("exposition lacks %s", std)
		}
	}
	// The ready pool of an isolating Hearth: its target (at least one
	// kept init) within its memory bound, and the memory it holds.
	waitFor(t, "a kept init", func() bool {
		return metricValue(scrapeMetrics(t, metricsAddr), "hearth_ready_pool_inits", nil) >= 1
	})
	fams = scrapeMetrics(t, metricsAddr)
	inits, target := metricValue(fams, "hearth_ready_pool_inits", nil), metricValue(fams, "hearth_ready_pool_target", nil)
	bound, mem := metricValue(fams, "hearth_ready_pool_bound", nil), metricValue(fams, "hearth_ready_pool_memory_bytes", nil)
	if target < 1 || bound < target || inits > bound || mem < inits*(3<<19) {
		t.Errorf("ready pool: %v inits, target %v, bound %v, %v bytes; want 1 <= target <= bound, inits <= bound, 1.5 MiB per init at least",
			inits, target, bound, mem)
	}
	// The Python cold starts above leave the interpreters pre-started for
	// their runtime (one, or two after two cold starts within 10 s), each
	// with the memory of an interpreter that loaded Hearth's bootstrap.
	py := map[string]string{"runtime": runtimeCases[1].runtime}
	waitFor(t, "a pre-started Python interpreter", func() bool {
		return metricValue(scrapeMetrics(t, metricsAddr), "hearth_ready_pool_interpreters", py) >= 1
	})
	fams = scrapeMetrics(t, metricsAddr)
	interps, interpMem := metricValue(fams, "hearth_ready_pool_interpreters", py), metricValue(fams, "hearth_ready_pool_interpreters_memory_bytes", py)
	t.Logf("pre-started interpreters of %s: %v, %.1f MiB", py["runtime"], interps, interpMem/(1<<20))
	if interps > 2 || interpMem < interps*(2<<20) {
		t.Errorf("pre-started interpreters: %v of %s, %v bytes; want 1 or 2, 2 MiB each at least", interps, py["runtime"], interpMem)
	}

	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("outcomes")}); err != nil {
		t.Fatal(err)
	}
	fams = scrapeMetrics(t, metricsAddr)
	for name, f := range fams {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() == "function" && l.GetValue() == "outcomes" {
					t.Errorf("series of the deleted function left: %s %v", name, m.Label)
				}
			}
		}
	}
}
