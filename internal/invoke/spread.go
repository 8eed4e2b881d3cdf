package invoke

import "github.com/hearth-run/hearth/internal/pool"

// Spreader divides provisioned concurrency between the nodes of a
// cluster.
type Spreader interface {
	// Share is this node's part of the count environments that the
	// configuration owner (Owner(function, qualifier)) asks for.
	Share(owner string, count int) int
	// Ready is the owner's ready environments on all nodes, given local,
	// those of this node.
	Ready(owner string, local int) int
}

// share is this node's part of a configuration's count: all of it
// without a Spreader.
func (iv *Invoker) share(owner string, count int) int {
	if iv.opts.Spreader == nil {
		return count
	}
	return iv.opts.Spreader.Share(owner, count)
}

// clusterStatus widens a configuration's local status to the cluster's.
func (iv *Invoker) clusterStatus(owner string, st pool.ProvisionStatus) pool.ProvisionStatus {
	if iv.opts.Spreader != nil {
		st.Ready = iv.opts.Spreader.Ready(owner, st.Ready)
	}
	return st
}

// Rebalance brings every function's provisioned environments in line with
// this node's share of its configurations; a cluster node calls it when
// nodes join or leave.
func (iv *Invoker) Rebalance() error {
	configs, err := iv.opts.Store.ProvisionedConfigs("")
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, pc := range configs {
		if !done[pc.Function] {
			done[pc.Function] = true
			iv.reconcile(pc.Function, nil)
		}
	}
	return nil
}

// Resync drops every cached spec and alias and brings every function's
// provisioned environments in line with the stored configurations: a
// cluster node calls it when it starts following the changes made through
// other nodes, which may have missed some. Environments of revisions
// changed meanwhile retire as requests for the new revisions arrive.
func (iv *Invoker) Resync() error {
	iv.mu.Lock()
	iv.gen++
	clear(iv.specs)
	clear(iv.aliases)
	iv.mu.Unlock()
	return iv.Rebalance()
}
