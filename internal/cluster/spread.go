package cluster

import (
	"context"
	"hash/fnv"
	"slices"
	"time"

	"github.com/hearth-run/hearth/internal/invoke"
)

var _ invoke.Spreader = (*Forwarder)(nil)

// partOf is node self's part of count environments of the configuration
// owner, among the live nodes names (sorted, self included): count/n
// each, and one more for count%n of them, starting at a node chosen by
// the owner's hash so that the remainders of many configurations do not
// all fall on the first node. Every node computes the same split from the
// same membership.
func partOf(names []string, self, owner string, count int) int {
	n := len(names)
	i := slices.Index(names, self)
	if n == 0 || i < 0 {
		return count
	}
	h := fnv.New32a()
	h.Write([]byte(owner))
	start := int(h.Sum32() % uint32(n))
	out := count / n
	if (i-start+n)%n < count%n {
		out++
	}
	return out
}

// liveNames returns the names of the nodes seen alive, this one included,
// sorted.
func (f *Forwarder) liveNames() []string {
	names := sortedNames(f.Members(), time.Now())
	if !slices.Contains(names, f.node.Name) {
		names = append(names, f.node.Name)
		slices.Sort(names)
	}
	return names
}

// Share is this node's part of a provisioned concurrency configuration.
func (f *Forwarder) Share(owner string, count int) int {
	return partOf(f.liveNames(), f.node.Name, owner, count)
}

// Ready adds the ready environments the other live nodes advertise for the
// owner to local, this node's.
func (f *Forwarder) Ready(owner string, local int) int {
	now := time.Now()
	for _, m := range f.Members() {
		if m.Name != f.node.Name && now.Sub(m.Seen) <= leaseTTL {
			local += m.Provisioned[owner]
		}
	}
	return local
}

// followMembership calls changed whenever the set of live nodes changes,
// checking every second until ctx ends: a node that joins advertises
// itself; one that dies stops, and counts as gone leaseTTL after its last
// advertisement.
func (f *Forwarder) followMembership(ctx context.Context, changed func()) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := f.liveNames()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if now := f.liveNames(); !slices.Equal(now, last) {
			f.log.Info("cluster membership changed", "nodes", now)
			last = now
			changed()
		}
	}
}
