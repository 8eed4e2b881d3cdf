package server

import (
	"github.com/hearth-run/hearth/internal/activity"
	"github.com/hearth-run/hearth/internal/metrics"
	"github.com/hearth-run/hearth/internal/sandbox"
)

// observeAsync publishes the recorded outcome of an asynchronous event.
func (s *Server) observeAsync(function, qualifier, outcome string) {
	s.Events.Publish(activity.Event{Kind: activity.Async, Function: function, Qualifier: qualifier, Outcome: outcome})
}

// gauges are the figures exported beside the per-function counters: the
// async queue's and the environments'.
func (s *Server) gauges() []metrics.Gauge {
	q := s.queue.Stats()
	out := []metrics.Gauge{
		{Name: "hearth_async_queue_depth", Help: "Asynchronous events stored, in flight included.", Type: "gauge", Value: float64(q.Depth)},
		{Name: "hearth_async_in_flight", Help: "Asynchronous invocations running now.", Type: "gauge", Value: float64(q.InFlight)},
		{Name: "hearth_async_oldest_event_age_seconds", Help: "Age of the oldest stored asynchronous event.", Type: "gauge", Value: q.OldestAge.Seconds()},
		{Name: "hearth_async_enqueued_total", Help: "Asynchronous events accepted.", Type: "counter", Value: float64(q.Enqueued)},
		{Name: "hearth_async_succeeded_total", Help: "Asynchronous events whose invocation succeeded.", Type: "counter", Value: float64(q.Succeeded)},
		{Name: "hearth_async_retries_total", Help: "Retries scheduled after function errors.", Type: "counter", Value: float64(q.Retries)},
		{Name: "hearth_async_throttles_total", Help: "Asynchronous invocations deferred by throttling.", Type: "counter", Value: float64(q.Throttles)},
		{Name: "hearth_async_failed_total", Help: "Asynchronous events that took the failure path.", Type: "counter", Value: float64(q.Failed)},
		{Name: "hearth_async_dropped_total", Help: "Asynchronous events dropped with nowhere to go.", Type: "counter", Value: float64(q.Dropped)},
		{Name: "hearth_async_destination_deliveries_total", Help: "Invocation records sent to destinations.", Type: "counter", Value: float64(q.Destinations)},
		{Name: "hearth_async_dead_letters_total", Help: "Events sent to dead-letter targets.", Type: "counter", Value: float64(q.DeadLetters)},
		{Name: "hearth_function_log_bytes_lost_total", Help: "Function log output that could not be written (a full disk).", Type: "counter", Value: float64(s.logStore.LostBytes())},
	}
	out = append(out, readyPoolGauges(s.sandbox.ReadyPool())...)
	out = append(out, interpreterGauges(s.sandbox.Interpreters())...)
	states := map[string]int{}
	for _, e := range s.pool.Environments() {
		st := e.State.String()
		if e.Frozen {
			st = "Frozen"
		}
		states[st]++
	}
	for _, st := range []string{"Starting", "Idle", "Frozen", "Busy", "Stopping"} {
		out = append(out, metrics.Gauge{Name: "hearth_environments", Help: "Execution environments, by state.", Type: "gauge",
			Labels: map[string]string{"state": st}, Value: float64(states[st])})
	}
	return out
}

// metricsURL says where the metrics are served, for the start-up log.
func (s *Server) metricsURL() string {
	if s.metricsListener != nil {
		return "http://" + s.metricsListener.Addr().String() + "/metrics"
	}
	return "signed GET /hearth/metrics on the API (--metrics-listen serves them unauthenticated)"
}

// readyPoolGauges describe the sandbox's ready pool.
func readyPoolGauges(rp sandbox.ReadyPool) []metrics.Gauge {
	g := func(name, help string, v int) metrics.Gauge {
		return metrics.Gauge{Name: name, Help: help, Type: "gauge", Value: float64(v)}
	}
	return []metrics.Gauge{
		g("hearth_ready_pool_inits", "Sandbox inits kept ready for cold starts.", rp.Inits),
		g("hearth_ready_pool_target", "Kept inits the ready pool aims for: the recent scale-out, decaying, within the bound.", rp.Target),
		g("hearth_ready_pool_bound", "Kept inits the available memory (and --prestart) allows.", rp.Bound),
		g("hearth_ready_pool_spare_namespaces", "Spare network namespaces ready beyond the kept inits.", rp.SpareNets),
		g("hearth_ready_pool_spare_disks", "Spare /tmp disks ready beyond the kept inits.", rp.SpareDisks),
		{Name: "hearth_ready_pool_memory_bytes", Help: "Memory the ready pool holds (estimate: about 1.6 MiB per kept init, 256 KiB per spare).",
			Type: "gauge", Value: float64(rp.MemoryBytes)},
	}
}

// interpreterGauges describe the pre-started interpreters, by runtime.
func interpreterGauges(its []sandbox.Interpreters) []metrics.Gauge {
	var out []metrics.Gauge
	for _, it := range its {
		l := map[string]string{"runtime": it.Runtime}
		out = append(out,
			metrics.Gauge{Name: "hearth_ready_pool_interpreters", Help: "Managed-runtime interpreters pre-started with Hearth's bootstrap and no user code, by runtime.",
				Type: "gauge", Labels: l, Value: float64(it.Count)},
			metrics.Gauge{Name: "hearth_ready_pool_interpreters_memory_bytes", Help: "Memory the pre-started interpreters use (their cgroups' usage), by runtime.",
				Type: "gauge", Labels: l, Value: float64(it.MemoryBytes)})
	}
	return out
}
