package client

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// ClusterStatus is a cluster node's view of the cluster: its members, the
// replication of Hearth's JetStream streams and the scheduler lease.
type ClusterStatus struct {
	Node     string `json:"node"`
	Replicas int    `json:"replicas"`
	Members  []struct {
		Name          string    `json:"name"`
		API           string    `json:"api"`
		Environments  int       `json:"environments"`
		PendingEvents int       `json:"pendingEvents"`
		Seen          time.Time `json:"seen"`
		// MemoryMB is the node's capacity, FreeMB what its environments
		// leave; Idle counts its warm environments by function:version.
		MemoryMB int            `json:"memoryMB"`
		FreeMB   int            `json:"freeMB"`
		Idle     map[string]int `json:"idle"`
	} `json:"members"`
	Streams []struct {
		Name     string   `json:"name"`
		Replicas int      `json:"replicas"`
		Leader   string   `json:"leader"`
		Current  []string `json:"current"`
		Lagging  []string `json:"lagging"`
		Messages uint64   `json:"messages"`
	} `json:"streams"`
	Scheduler string `json:"scheduler"`
	Error     string `json:"error"`
}

// ClusterStatus asks the node for its view of the cluster.
func (c *Client) ClusterStatus(ctx context.Context) (*ClusterStatus, error) {
	body, err := c.get(ctx, "/hearth/cluster", nil)
	if err != nil {
		return nil, err
	}
	var out ClusterStatus
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("decode cluster status: %w", err)
	}
	return &out, nil
}
