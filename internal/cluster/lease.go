package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// leaseTTL is how long a lease outlives its holder's last renewal: a node
// that dies gives up its leases after at most this long.
const leaseTTL = 10 * time.Second

// Lease holds the named cluster-wide lease while ctx lasts, calling held
// with true when this node takes it and false when it loses it. Only one
// node holds a lease at a time, up to clock-free TTL expiry: the holder
// renews it every TTL/4 by compare-and-set; when it stops, the key expires
// and another node takes it.
func (n *Node) Lease(ctx context.Context, name string, held func(bool)) {
	var rev uint64
	holding := false
	set := func(h bool) {
		if h != holding {
			holding = h
			held(h)
		}
	}
	defer set(false)
	tick := time.NewTicker(leaseTTL / 4)
	defer tick.Stop()
	for {
		op, cancel := context.WithTimeout(ctx, leaseTTL/4)
		var err error
		if holding {
			rev, err = n.leases.Update(op, name, []byte(n.Name), rev)
		} else {
			rev, err = n.leases.Create(op, name, []byte(n.Name))
		}
		cancel()
		switch {
		case err == nil:
			set(true)
		case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyRevisionMismatch):
			set(false) // another node holds it
		default:
			// NATS unreachable: we cannot renew, so we must assume the
			// lease lost before its TTL runs out.
			set(false)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Holder returns the node holding the named lease, "" when none.
func (n *Node) Holder(ctx context.Context, name string) string {
	e, err := n.leases.Get(ctx, name)
	if err != nil {
		return ""
	}
	return string(e.Value())
}
