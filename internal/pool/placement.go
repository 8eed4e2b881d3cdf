package pool

// Warm reports whether a request for the version would find an
// environment here without a cold start: an idle one, or one that has
// answered its request and is about to become idle. A cluster node runs
// such a request where it arrived.
func (p *Pool) Warm(function, version string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	vp := p.versions[Key(function, version)]
	return vp != nil && (len(vp.idle) > 0 || vp.responding > 0)
}

// IdleCounts returns the number of idle environments of each version, by
// Key, for a cluster node's advertisement.
func (p *Pool) IdleCounts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for key, vp := range p.versions {
		if n := len(vp.idle); n > 0 {
			out[key] = n
		}
	}
	return out
}

// UnreservedLimit is the account's concurrency left to functions without
// a reservation: the account limit less every reservation the pool knows
// (SetReserved; in a cluster every node learns of every reservation).
func (p *Pool) UnreservedLimit() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	taken := 0
	for _, n := range p.reserved {
		taken += n
	}
	return p.opts.AccountLimit - taken
}
