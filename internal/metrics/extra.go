package metrics

import (
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// extraCollector exports the samples read returns at each scrape. It is
// an unchecked collector (Describe sends nothing): the samples' names and
// labels are only known when they are read.
type extraCollector func() []Gauge

func (extraCollector) Describe(chan<- *prometheus.Desc) {}

func (read extraCollector) Collect(ch chan<- prometheus.Metric) {
	for _, g := range read() {
		keys := slices.Sorted(maps.Keys(g.Labels))
		values := make([]string, len(keys))
		for i, k := range keys {
			values[i] = g.Labels[k]
		}
		typ := prometheus.GaugeValue
		if g.Type == "counter" {
			typ = prometheus.CounterValue
		}
		desc := prometheus.NewDesc(g.Name, g.Help, keys, nil)
		m, err := prometheus.NewConstMetric(desc, typ, g.Value, values...)
		if err != nil {
			m = prometheus.NewInvalidMetric(desc, err)
		}
		ch <- m
	}
}
