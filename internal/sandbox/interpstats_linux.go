package sandbox

import "slices"

// Interpreters are the pre-started interpreters of one runtime, for
// Hearth's metrics.
type Interpreters struct {
	// Runtime is the runtime of the cold start that first asked for them
	// (runtimes whose interpreters start alike share them).
	Runtime string
	// Count is how many are ready now.
	Count int
	// MemoryBytes is their cgroups' memory usage.
	MemoryBytes uint64
}

// Interpreters returns the ready pre-started interpreters by runtime,
// sorted by runtime, with a zero for each runtime the pool keeps
// interpreters for and has none ready. It reads one cgroup file per
// interpreter.
func (m *Manager) Interpreters() []Interpreters {
	if m == nil || m.interps == nil {
		return nil
	}
	ip := m.interps
	ip.mu.Lock()
	defer ip.mu.Unlock()
	by := map[string]*Interpreters{}
	stats := func(key string) *Interpreters {
		name := key
		if d := ip.wanted[key]; d != nil && d.tmpl.Prestart != nil && d.tmpl.Prestart.Runtime != "" {
			name = d.tmpl.Prestart.Runtime
		}
		if by[name] == nil {
			by[name] = &Interpreters{Runtime: name}
		}
		return by[name]
	}
	for key := range ip.wanted {
		stats(key) // a runtime still wanted shows 0 while none is ready
	}
	for key, list := range ip.ready {
		if len(list) == 0 {
			continue
		}
		s := stats(key)
		for _, it := range list {
			s.Count++
			s.MemoryBytes += it.pd.cg.usage()
		}
	}
	out := make([]Interpreters, 0, len(by))
	for _, s := range by {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Interpreters) int {
		if a.Runtime < b.Runtime {
			return -1
		}
		if a.Runtime > b.Runtime {
			return 1
		}
		return 0
	})
	return out
}
