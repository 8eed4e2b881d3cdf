package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hearth-run/hearth/internal/activity"
)

// Warm is the cold_reason label of invocations that found a warm
// environment.
const Warm = "warm"

// Observe updates the metrics for one event; register it with
// activity.Bus.Handle.
func (m *Metrics) Observe(ev activity.Event) {
	if !m.alive(ev) {
		return
	}
	switch ev.Kind {
	case activity.InvokeStart:
		m.started(ev)
	case activity.InvokeEnd:
		m.ended(ev)
	case activity.Throttle:
		m.throttles.WithLabelValues(ev.Function, ev.Qualifier, ev.Reason).Inc()
	case activity.Async:
		m.async.WithLabelValues(ev.Function, ev.Outcome).Inc()
	case activity.EnvInit:
		result := "ok"
		if ev.ErrorType != "" {
			result = "error"
		}
		m.inits.WithLabelValues(ev.Function, ev.Reason, result).Inc()
		if ev.Provisioned && ev.ErrorType == "" {
			// Provisioned environments start before any invocation, so
			// their Init is observed here, under their version.
			m.initDuration.WithLabelValues(ev.Function, ev.Version, ev.Runtime, ev.Reason).Observe(ev.Duration.Seconds())
		}
	case activity.EnvStop:
		m.stops.WithLabelValues(ev.Function, ev.Reason).Inc()
	case activity.FunctionDeleted:
		m.deleteFunction(ev.Function)
	}
}

func (m *Metrics) started(ev activity.Event) {
	m.invocations.WithLabelValues(ev.Function, ev.Qualifier).Inc()
	if ev.ColdReason != "" {
		m.coldStarts.WithLabelValues(ev.Function, ev.Qualifier, ev.ColdReason).Inc()
	}
	if ev.Provisioned {
		m.provisioned.WithLabelValues(ev.Function, ev.Qualifier).Inc()
	}
	if ev.Spillover {
		m.spillover.WithLabelValues(ev.Function, ev.Qualifier).Inc()
	}
	s := series{ev.Function, ev.Qualifier}
	m.mu.Lock()
	m.running[s]++
	n := m.running[s]
	m.concurrent.WithLabelValues(ev.Function, ev.Qualifier).Set(float64(n))
	if n > m.highest[s] {
		m.highest[s] = n
		m.maxConcurrent.WithLabelValues(ev.Function, ev.Qualifier).Set(float64(n))
	}
	m.mu.Unlock()
}

func (m *Metrics) ended(ev activity.Event) {
	s := series{ev.Function, ev.Qualifier}
	m.mu.Lock()
	if m.running[s] > 0 {
		m.running[s]--
		m.concurrent.WithLabelValues(ev.Function, ev.Qualifier).Set(float64(m.running[s]))
	}
	m.mu.Unlock()
	reason := ev.ColdReason
	if reason == "" {
		reason = Warm
	}
	if ev.Env != "" && ev.Duration > 0 {
		m.duration.WithLabelValues(ev.Function, ev.Qualifier, ev.Runtime, reason).Observe(ev.Duration.Seconds())
	}
	if ev.ColdReason != "" && ev.InitDuration > 0 {
		m.initDuration.WithLabelValues(ev.Function, ev.Qualifier, ev.Runtime, reason).Observe(ev.InitDuration.Seconds())
	}
	switch ev.Outcome {
	case activity.OutcomeTimeout:
		m.timeouts.WithLabelValues(ev.Function, ev.Qualifier).Inc()
		m.errors.WithLabelValues(ev.Function, ev.Qualifier, ev.ErrorType).Inc()
	case activity.OutcomeError:
		m.errors.WithLabelValues(ev.Function, ev.Qualifier, ev.ErrorType).Inc()
	}
}

// deleteFunction drops every series of a function.
func (m *Metrics) deleteFunction(function string) {
	for _, v := range m.vecs {
		v.DeletePartialMatch(prometheus.Labels{"function": function})
	}
	m.mu.Lock()
	for s := range m.running {
		if s.function == function {
			delete(m.running, s)
		}
	}
	for s := range m.highest {
		if s.function == function {
			delete(m.highest, s)
		}
	}
	m.mu.Unlock()
}

// maxGone bounds the deleted functions remembered.
const maxGone = 10000

// alive reports whether ev belongs to a function that exists: the last
// environments of a deleted function stop, and its last events arrive,
// after its series were dropped, and must not bring them back. A function
// created again under the same name starts with an Init, an invocation or
// a throttle.
func (m *Metrics) alive(ev activity.Event) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch ev.Kind {
	case activity.FunctionDeleted:
		if len(m.gone) >= maxGone {
			clear(m.gone)
		}
		m.gone[ev.Function] = true
		return true
	case activity.InvokeStart, activity.EnvInit, activity.Throttle:
		delete(m.gone, ev.Function)
		return true
	}
	return !m.gone[ev.Function]
}
