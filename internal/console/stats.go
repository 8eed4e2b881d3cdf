package console

import (
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/hearth-run/hearth/internal/activity"
)

// keepFor is the longest window the functions view offers; older records
// are dropped.
const keepFor = time.Hour

// maxRecords bounds the records kept per function and qualifier.
const maxRecords = 20000

// record is one ended invocation.
type record struct {
	at       time.Time
	duration time.Duration
	init     time.Duration // Init Duration of a cold start
	outcome  string
	cold     bool
}

type seriesKey struct{ function, qualifier string }

type series struct {
	records   []record    // oldest first
	throttles []time.Time // oldest first
	running   int         // invocations running now
}

// stats keeps the last hour of invocations per function and qualifier for
// the functions view.
type stats struct {
	now func() time.Time

	mu     sync.Mutex // guards series
	series map[seriesKey]*series
}

func newStats(now func() time.Time) *stats {
	return &stats{now: now, series: map[seriesKey]*series{}}
}

func (s *stats) get(ev activity.Event) *series {
	k := seriesKey{ev.Function, ev.Qualifier}
	ss := s.series[k]
	if ss == nil {
		ss = &series{}
		s.series[k] = ss
	}
	return ss
}

// observe records one event; it is an activity handler.
func (s *stats) observe(ev activity.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch ev.Kind {
	case activity.InvokeStart:
		s.get(ev).running++
	case activity.InvokeEnd:
		ss := s.get(ev)
		ss.running = max(ss.running-1, 0)
		ss.records = appendBounded(ss.records, record{at: ev.Time, duration: ev.Duration, init: ev.InitDuration,
			outcome: ev.Outcome, cold: ev.ColdReason != ""}, func(r record) time.Time { return r.at }, ev.Time)
	case activity.Throttle:
		ss := s.get(ev)
		ss.throttles = appendBounded(ss.throttles, ev.Time, func(t time.Time) time.Time { return t }, ev.Time)
	case activity.FunctionDeleted:
		for k := range s.series {
			if k.function == ev.Function {
				delete(s.series, k)
			}
		}
	}
}

// appendBounded appends v and drops what is older than keepFor or beyond
// maxRecords.
func appendBounded[T any](list []T, v T, at func(T) time.Time, now time.Time) []T {
	list = append(list, v)
	cut := 0
	for cut < len(list) && (len(list)-cut > maxRecords || now.Sub(at(list[cut])) > keepFor) {
		cut++
	}
	if cut > 0 {
		list = slices.Delete(list, 0, cut)
	}
	return list
}

// Summary is one function and qualifier over a window.
type Summary struct {
	Function    string  `json:"function"`
	Qualifier   string  `json:"qualifier"`
	Invocations int     `json:"invocations"`
	Errors      int     `json:"errors"`
	Timeouts    int     `json:"timeouts"`
	Throttles   int     `json:"throttles"`
	P50MS       float64 `json:"p50Ms"`
	P99MS       float64 `json:"p99Ms"`
	ColdStarts  int     `json:"coldStarts"`
	ColdRate    float64 `json:"coldStartRate"` // cold starts / invocations
	InitP50MS   float64 `json:"initP50Ms"`
	InitMaxMS   float64 `json:"initMaxMs"`
	Concurrent  int     `json:"concurrent"` // running now
}

// summaries returns every series' figures over the last window.
func (s *stats) summaries(window time.Duration) []Summary {
	since := s.now().Add(-window)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Summary, 0, len(s.series))
	for k, ss := range s.series {
		sum := Summary{Function: k.function, Qualifier: k.qualifier, Concurrent: ss.running}
		var durs, inits []time.Duration
		for _, r := range ss.records {
			if r.at.Before(since) {
				continue
			}
			sum.Invocations++
			durs = append(durs, r.duration)
			switch r.outcome {
			case activity.OutcomeError:
				sum.Errors++
			case activity.OutcomeTimeout:
				sum.Timeouts++
				sum.Errors++
			}
			if r.cold {
				sum.ColdStarts++
				inits = append(inits, r.init)
			}
		}
		for _, t := range ss.throttles {
			if !t.Before(since) {
				sum.Throttles++
			}
		}
		if sum.Invocations > 0 {
			sum.ColdRate = float64(sum.ColdStarts) / float64(sum.Invocations)
		}
		sum.P50MS, sum.P99MS = quantileMS(durs, 0.50), quantileMS(durs, 0.99)
		sum.InitP50MS = quantileMS(inits, 0.50)
		if len(inits) > 0 {
			sum.InitMaxMS = ms(slices.Max(inits))
		}
		out = append(out, sum)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Function != out[j].Function {
			return out[i].Function < out[j].Function
		}
		return out[i].Qualifier < out[j].Qualifier
	})
	return out
}

// quantileMS is the q-quantile (nearest rank) of ds in milliseconds.
func quantileMS(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(q*float64(len(ds))+0.999999) - 1
	return ms(ds[min(max(i, 0), len(ds)-1)])
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
