package metrics

import (
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hearth-run/hearth/internal/activity"
)

// scrape serves the metrics once and parses the text exposition.
func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", "text/plain")
	m.Handler().ServeHTTP(rec, req)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse exposition: %v\n%s", err, rec.Body)
	}
	return fams
}

// find returns the metric of family name whose labels include want.
func find(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.Metric {
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

func counter(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	m := find(fams, name, labels)
	if m == nil {
		return -1
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

// invoke publishes one invocation's start and end.
func invoke(bus *activity.Bus, fn, cold, outcome, errType string, d time.Duration) {
	ev := activity.Event{Kind: activity.InvokeStart, Function: fn, Qualifier: "$LATEST", Version: "$LATEST",
		Runtime: "python3.12", Env: "env-" + fn, ColdReason: cold}
	if cold != "" {
		ev.InitDuration = 40 * time.Millisecond
	}
	bus.Publish(ev)
	ev.Kind, ev.Outcome, ev.ErrorType, ev.Duration = activity.InvokeEnd, outcome, errType, d
	bus.Publish(ev)
}

func TestMetricsFromEvents(t *testing.T) {
	bus := activity.New(activity.Options{})
	m := New(Options{Extra: func() []Gauge {
		return []Gauge{{Name: "hearth_async_queue_depth", Help: "Events stored.", Type: "gauge", Value: 3}}
	}})
	bus.Handle(m.Observe)
	invoke(bus, "fn", "first-invocation", activity.OutcomeOK, "", 5*time.Millisecond)
	invoke(bus, "fn", "", activity.OutcomeOK, "", 2*time.Millisecond)
	invoke(bus, "fn", "", activity.OutcomeError, "Function", 3*time.Millisecond)
	invoke(bus, "fn", "", activity.OutcomeTimeout, "Sandbox.Timedout", time.Second)
	bus.Publish(activity.Event{Kind: activity.Throttle, Function: "fn", Qualifier: "$LATEST",
		Reason: "ReservedFunctionConcurrentInvocationLimitExceeded"})
	bus.Publish(activity.Event{Kind: activity.Async, Function: "fn", Outcome: "succeeded"})
	// One still running, of another function.
	bus.Publish(activity.Event{Kind: activity.InvokeStart, Function: "other", Qualifier: "live", Env: "e2", ColdReason: "scale-out"})

	fams := scrape(t, m)
	fn := map[string]string{"function": "fn", "qualifier": "$LATEST"}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"hearth_invocations_total", fn, 4},
		{"hearth_cold_starts_total", map[string]string{"function": "fn", "reason": "first-invocation"}, 1},
		{"hearth_errors_total", map[string]string{"function": "fn", "type": "Function"}, 1},
		{"hearth_errors_total", map[string]string{"function": "fn", "type": "Sandbox.Timedout"}, 1},
		{"hearth_timeouts_total", fn, 1},
		{"hearth_throttles_total", map[string]string{"function": "fn", "reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}, 1},
		{"hearth_async_events_total", map[string]string{"function": "fn", "outcome": "succeeded"}, 1},
		{"hearth_concurrent_executions", fn, 0},
		{"hearth_max_concurrent_executions", fn, 1},
		{"hearth_concurrent_executions", map[string]string{"function": "other", "qualifier": "live"}, 1},
		{"hearth_async_queue_depth", nil, 3},
	}
	for _, c := range checks {
		if got := counter(fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	warm := find(fams, "hearth_invocation_duration_seconds", map[string]string{"function": "fn", "cold_reason": Warm, "runtime": "python3.12"})
	cold := find(fams, "hearth_invocation_duration_seconds", map[string]string{"function": "fn", "cold_reason": "first-invocation"})
	if warm.GetHistogram().GetSampleCount() != 3 || cold.GetHistogram().GetSampleCount() != 1 {
		t.Errorf("duration histogram counts: warm %v, cold %v", warm, cold)
	}
	if s := warm.GetHistogram().GetSampleSum(); s < 1.004 || s > 1.006 {
		t.Errorf("warm duration sum %v, want 1.005", s)
	}
	initH := find(fams, "hearth_init_duration_seconds", map[string]string{"function": "fn", "cold_reason": "first-invocation"})
	if initH.GetHistogram().GetSampleCount() != 1 {
		t.Errorf("init histogram: %v", initH)
	}
	for _, std := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if fams[std] == nil {
			t.Errorf("no %s", std)
		}
	}

	bus.Publish(activity.Event{Kind: activity.FunctionDeleted, Function: "fn"})
	// The deleted function's last environment stops afterwards.
	bus.Publish(activity.Event{Kind: activity.EnvStop, Function: "fn", Env: "env-fn", Reason: activity.StopUpdate})
	fams = scrape(t, m)
	for name, f := range fams {
		for _, metric := range f.Metric {
			for _, l := range metric.Label {
				if l.GetName() == "function" && l.GetValue() == "fn" {
					t.Errorf("series of the deleted function left: %s %v", name, metric.Label)
				}
			}
		}
	}
	if counter(fams, "hearth_concurrent_executions", map[string]string{"function": "other"}) != 1 {
		t.Error("another function's series went with the deleted one")
	}
}

func TestFunctionCreatedAgain(t *testing.T) {
	bus := activity.New(activity.Options{})
	m := New(Options{})
	bus.Handle(m.Observe)
	invoke(bus, "fn", "first-invocation", activity.OutcomeOK, "", time.Millisecond)
	bus.Publish(activity.Event{Kind: activity.FunctionDeleted, Function: "fn"})
	invoke(bus, "fn", "first-invocation", activity.OutcomeOK, "", time.Millisecond)
	if got := counter(scrape(t, m), "hearth_invocations_total", map[string]string{"function": "fn"}); got != 1 {
		t.Errorf("invocations of the new function: %v, want 1", got)
	}
}
