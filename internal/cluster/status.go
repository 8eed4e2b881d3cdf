package cluster

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"
)

// Member is what a node advertises about itself in the hearth-nodes
// bucket, renewed every leaseTTL/4; a node that stops renewing drops out
// after leaseTTL.
type Member struct {
	Name          string    `json:"name"`
	API           string    `json:"api"`
	Environments  int       `json:"environments"`
	PendingEvents int       `json:"pendingEvents"`
	Seen          time.Time `json:"seen"`
	// MemoryMB is the node's capacity (--node-memory) and FreeMB what its
	// live environments leave of it.
	MemoryMB int `json:"memoryMB"`
	FreeMB   int `json:"freeMB"`
	// Idle counts the node's idle (warm) environments by function:version.
	Idle map[string]int `json:"idle,omitempty"`
	// Provisioned counts the node's ready provisioned environments by
	// configuration (function:qualifier).
	Provisioned map[string]int `json:"provisioned,omitempty"`
}

// StreamHealth is the replication state of one JetStream stream.
type StreamHealth struct {
	Name     string   `json:"name"`
	Replicas int      `json:"replicas"`
	Leader   string   `json:"leader"`
	Current  []string `json:"current"` // replicas caught up with the leader
	Lagging  []string `json:"lagging"` // replicas behind or offline
	Messages uint64   `json:"messages"`
}

// Status is a node's view of the cluster, for `hearth cluster status`.
type Status struct {
	Node      string         `json:"node"`
	Replicas  int            `json:"replicas"`
	Members   []Member       `json:"members"`
	Streams   []StreamHealth `json:"streams"`
	Scheduler string         `json:"scheduler"` // holder of the scheduler lease
	Error     string         `json:"error,omitempty"`
}

// Advertise publishes this node's Member every leaseTTL/4 until ctx ends;
// self fills in the figures.
func (n *Node) Advertise(ctx context.Context, self func() Member) {
	kv := n.members
	tick := time.NewTicker(leaseTTL / 4)
	defer tick.Stop()
	for {
		m := self()
		m.Name, m.Seen = n.Name, time.Now().UTC()
		data, _ := json.Marshal(m)
		op, cancel := context.WithTimeout(ctx, leaseTTL/4)
		_, _ = kv.Put(op, n.Name, data)
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Status reads the members, the health of Hearth's streams and the
// scheduler lease.
func (n *Node) Status(ctx context.Context) Status {
	st := Status{Node: n.Name, Replicas: n.Replicas, Scheduler: n.Holder(ctx, "scheduler")}
	{
		if keys, err := n.members.Keys(ctx); err == nil {
			for _, k := range keys {
				if e, err := n.members.Get(ctx, k); err == nil {
					var m Member
					if json.Unmarshal(e.Value(), &m) == nil {
						st.Members = append(st.Members, m)
					}
				}
			}
		}
	}
	sort.Slice(st.Members, func(i, j int) bool { return st.Members[i].Name < st.Members[j].Name })
	names := n.JS.StreamNames(ctx)
	for name := range names.Name() {
		if !strings.HasPrefix(name, "KV_hearth-") && !strings.HasPrefix(name, "OBJ_hearth-") && name != eventStream {
			continue
		}
		s, err := n.JS.Stream(ctx, name)
		if err != nil {
			continue
		}
		info := s.CachedInfo()
		h := StreamHealth{Name: name, Replicas: info.Config.Replicas, Messages: info.State.Msgs}
		if c := info.Cluster; c != nil {
			h.Leader = c.Leader
			for _, p := range c.Replicas {
				if p.Current && !p.Offline {
					h.Current = append(h.Current, p.Name)
				} else {
					h.Lagging = append(h.Lagging, p.Name)
				}
			}
		}
		st.Streams = append(st.Streams, h)
	}
	if err := names.Err(); err != nil {
		st.Error = err.Error()
	}
	sort.Slice(st.Streams, func(i, j int) bool { return st.Streams[i].Name < st.Streams[j].Name })
	return st
}
