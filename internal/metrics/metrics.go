// Package metrics counts what happens to each function version: its
// invocations, its cold starts and why they happened, its throttles, its
// concurrent executions, the use of its provisioned environments and the
// requests that spilled over from them. It keeps the numbers in memory;
// exporting them is left to the caller (Snapshot).
package metrics

import (
	"sort"
	"sync"
)

// Series identifies the counters of one function and qualifier (the
// version or alias the caller named).
type Series struct {
	Function  string `json:"function"`
	Qualifier string `json:"qualifier"`
}

// Counters are the numbers of one Series.
type Counters struct {
	Invocations int64 `json:"invocations"`
	// ColdStarts counts cold starts by reason (first-invocation,
	// scale-out, code-or-config-update, idle-eviction, ...).
	ColdStarts map[string]int64 `json:"coldStarts"`
	Throttles  int64            `json:"throttles"`
	// Concurrent is the number of executions running now; MaxConcurrent
	// the highest it has been.
	Concurrent    int64 `json:"concurrentExecutions"`
	MaxConcurrent int64 `json:"maxConcurrentExecutions"`
	// Provisioned counts invocations served by provisioned environments,
	// Spillover those that found all of them busy and ran on demand.
	Provisioned int64 `json:"provisionedInvocations"`
	Spillover   int64 `json:"spilloverInvocations"`
}

// Registry holds the counters of every series. The zero value is not
// usable; call New.
type Registry struct {
	mu     sync.Mutex // guards series
	series map[Series]*Counters
}

// New returns an empty Registry.
func New() *Registry { return &Registry{series: map[Series]*Counters{}} }

func (r *Registry) get(s Series) *Counters {
	c := r.series[s]
	if c == nil {
		c = &Counters{ColdStarts: map[string]int64{}}
		r.series[s] = c
	}
	return c
}

// Start records an invocation that got an environment and returns the
// function to call when it ends. reason is the cold start's reason, ""
// for a warm start.
func (r *Registry) Start(s Series, reason string, provisioned, spillover bool) (done func()) {
	if r == nil {
		return func() {}
	}
	r.mu.Lock()
	c := r.get(s)
	c.Invocations++
	if reason != "" {
		c.ColdStarts[reason]++
	}
	if provisioned {
		c.Provisioned++
	}
	if spillover {
		c.Spillover++
	}
	c.Concurrent++
	c.MaxConcurrent = max(c.MaxConcurrent, c.Concurrent)
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		r.get(s).Concurrent--
		r.mu.Unlock()
	}
}

// Throttled records a throttled invocation.
func (r *Registry) Throttled(s Series) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.get(s).Throttles++
	r.mu.Unlock()
}

// Sample is one series and a copy of its counters.
type Sample struct {
	Series
	Counters
}

// Snapshot returns a copy of every series, ordered by function and
// qualifier.
func (r *Registry) Snapshot() []Sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Sample, 0, len(r.series))
	for s, c := range r.series {
		cp := *c
		cp.ColdStarts = make(map[string]int64, len(c.ColdStarts))
		for k, v := range c.ColdStarts {
			cp.ColdStarts[k] = v
		}
		out = append(out, Sample{Series: s, Counters: cp})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Function != out[j].Function {
			return out[i].Function < out[j].Function
		}
		return out[i].Qualifier < out[j].Qualifier
	})
	return out
}
