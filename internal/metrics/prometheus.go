package metrics

import (
	"bufio"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Gauge is one extra sample to export beside the registry's counters,
// such as the async queue's depth.
type Gauge struct {
	Name   string            // metric name, e.g. hearth_async_queue_depth
	Help   string            // one line of help
	Type   string            // "gauge" or "counter"
	Labels map[string]string // may be nil
	Value  float64
}

// Handler serves the registry and the gauges extra returns in
// Prometheus's text exposition format.
func Handler(r *Registry, extra func() []Gauge) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		bw := bufio.NewWriter(w)
		writeText(bw, r.Snapshot(), extra)
		_ = bw.Flush()
	})
}

func writeText(w *bufio.Writer, samples []Sample, extra func() []Gauge) {
	var gauges []Gauge
	add := func(name, help, typ string, labels map[string]string, v int64) {
		gauges = append(gauges, Gauge{Name: name, Help: help, Type: typ, Labels: labels, Value: float64(v)})
	}
	for _, s := range samples {
		l := map[string]string{"function": s.Function, "qualifier": s.Qualifier}
		add("hearth_invocations_total", "Invocations that got an execution environment.", "counter", l, s.Invocations)
		add("hearth_throttles_total", "Invocations refused by concurrency limits.", "counter", l, s.Throttles)
		add("hearth_concurrent_executions", "Executions running now.", "gauge", l, s.Concurrent)
		add("hearth_max_concurrent_executions", "Highest number of executions running at once.", "gauge", l, s.MaxConcurrent)
		add("hearth_provisioned_invocations_total", "Invocations served by provisioned environments.", "counter", l, s.Provisioned)
		add("hearth_spillover_invocations_total", "Invocations that found every provisioned environment busy.", "counter", l, s.Spillover)
		reasons := make([]string, 0, len(s.ColdStarts))
		for r := range s.ColdStarts {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		for _, r := range reasons {
			add("hearth_cold_starts_total", "Cold starts, by reason.", "counter",
				map[string]string{"function": s.Function, "qualifier": s.Qualifier, "reason": r}, s.ColdStarts[r])
		}
	}
	if extra != nil {
		gauges = append(gauges, extra()...)
	}
	// Group samples by metric name: the format wants each family together.
	sort.SliceStable(gauges, func(i, j int) bool { return gauges[i].Name < gauges[j].Name })
	last := ""
	for _, g := range gauges {
		if g.Name != last {
			w.WriteString("# HELP " + g.Name + " " + g.Help + "\n# TYPE " + g.Name + " " + g.Type + "\n")
			last = g.Name
		}
		w.WriteString(g.Name)
		if len(g.Labels) > 0 {
			keys := make([]string, 0, len(g.Labels))
			for k := range g.Labels {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			w.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					w.WriteByte(',')
				}
				w.WriteString(k + `="` + escapeLabel(g.Labels[k]) + `"`)
			}
			w.WriteByte('}')
		}
		w.WriteString(" " + strconv.FormatFloat(g.Value, 'g', -1, 64) + "\n")
	}
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
