// Package metrics turns Hearth's activity events into Prometheus metrics
// with github.com/prometheus/client_golang: per function and qualifier,
// histograms of invocation and Init durations, counters of invocations,
// cold starts, errors by type, timeouts, throttles by reason and async
// outcomes, and gauges of concurrent executions; beside them the
// environments by state, the async queue's figures, and the standard go_*
// and process_* collectors.
//
// # Cardinality
//
// Every per-function series carries the function's name and the qualifier
// the caller named (a version or alias that exists), so their number is
// bounded by what is deployed; error types are Lambda's own plus one
// "Function" for every error a function reports. When a function is
// deleted (activity.FunctionDeleted), all of its series are dropped.
package metrics

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Gauge is one extra sample exported beside the event-driven metrics,
// such as the async queue's depth, read at each scrape.
type Gauge struct {
	Name   string            // metric name, e.g. hearth_async_queue_depth
	Help   string            // one line of help
	Type   string            // "gauge" or "counter"
	Labels map[string]string // may be nil
	Value  float64
}

// Options configures Metrics.
type Options struct {
	// Extra, when set, returns samples read at each scrape.
	Extra func() []Gauge
}

// Metrics holds Hearth's Prometheus registry and the metrics that events
// update. The zero value is not usable; call New.
type Metrics struct {
	reg  *prometheus.Registry
	vecs []deleter // every vector with a "function" label

	invocations, coldStarts, errors, timeouts, throttles *prometheus.CounterVec
	provisioned, spillover, async, inits, stops          *prometheus.CounterVec
	duration, initDuration                               *prometheus.HistogramVec
	concurrent, maxConcurrent                            *prometheus.GaugeVec

	mu      sync.Mutex       // guards running, highest and gone
	running map[series]int64 // executions running now, per series
	highest map[series]int64 // the most that ran at once, per series
	gone    map[string]bool  // deleted functions, until they are created again
}

type deleter interface {
	DeletePartialMatch(prometheus.Labels) int
}

type series struct{ function, qualifier string }

// Label names.
var (
	fq       = []string{"function", "qualifier"}
	timing   = []string{"function", "qualifier", "runtime", "cold_reason"}
	durBkts  = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900}
	initBkts = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
)

// New returns Metrics with every collector registered.
func New(opts Options) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), running: map[series]int64{}, highest: map[series]int64{},
		gone: map[string]bool{}}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if opts.Extra != nil {
		m.reg.MustRegister(extraCollector(opts.Extra))
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
		m.reg.MustRegister(v)
		m.vecs = append(m.vecs, v)
		return v
	}
	gauge := func(name, help string) *prometheus.GaugeVec {
		v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, fq)
		m.reg.MustRegister(v)
		m.vecs = append(m.vecs, v)
		return v
	}
	histogram := func(name, help string, buckets []float64) *prometheus.HistogramVec {
		v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, timing)
		m.reg.MustRegister(v)
		m.vecs = append(m.vecs, v)
		return v
	}
	m.invocations = counter("hearth_invocations_total", "Invocations that got an execution environment.", fq...)
	m.coldStarts = counter("hearth_cold_starts_total", "Cold starts, by reason.", "function", "qualifier", "reason")
	m.errors = counter("hearth_errors_total", "Invocations that ended in an error, by error type (Function: reported by the function's code).", "function", "qualifier", "type")
	m.timeouts = counter("hearth_timeouts_total", "Invocations that ran past the function's timeout.", fq...)
	m.throttles = counter("hearth_throttles_total", "Invocations refused by concurrency limits, by Lambda's reason.", "function", "qualifier", "reason")
	m.provisioned = counter("hearth_provisioned_invocations_total", "Invocations served by provisioned environments.", fq...)
	m.spillover = counter("hearth_spillover_invocations_total", "Invocations that found every provisioned environment busy.", fq...)
	m.async = counter("hearth_async_events_total", "Asynchronous events by recorded outcome (succeeded, retried, throttled, failed, dropped).", "function", "outcome")
	m.inits = counter("hearth_environment_inits_total", "Execution environments that ran Init, by reason and result.", "function", "reason", "result")
	m.stops = counter("hearth_environment_stops_total", "Execution environments shut down, by reason.", "function", "reason")
	m.duration = histogram("hearth_invocation_duration_seconds", "Duration of invocations, as in the REPORT line.", durBkts)
	m.initDuration = histogram("hearth_init_duration_seconds", "Init Duration of cold starts, as in the REPORT line.", initBkts)
	m.concurrent = gauge("hearth_concurrent_executions", "Executions running now.")
	m.maxConcurrent = gauge("hearth_max_concurrent_executions", "Highest number of executions running at once.")
	return m
}

// Handler serves the metrics in Prometheus's exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Gatherer returns the registry, for tests and embedding.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }
