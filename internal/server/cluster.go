package server

import (
	"context"
	"math"
	"sync/atomic"
	"time"

	"github.com/hearth-run/hearth/internal/api"
	"github.com/hearth-run/hearth/internal/cluster"
	"github.com/hearth-run/hearth/internal/codestore"
	"github.com/hearth-run/hearth/internal/config"
	"github.com/hearth-run/hearth/internal/invoke"
	"github.com/hearth-run/hearth/internal/store"
)

// sharedCode is what the API and the invoker need of the code store: the
// local one, or in a cluster the replicated bucket cached locally.
type sharedCode interface {
	api.CodeStore
	invoke.CodeTrees
}

// clusterState is a cluster node's part of the Server.
type clusterState struct {
	node   *cluster.Node
	events *cluster.Events
	conc   *cluster.Concurrency
	// fwd places invocations on the cluster's nodes.
	fwd *cluster.Forwarder
	// code is the replicated code bucket; its collector runs on one node.
	code *cluster.Code
	// scheduling is true while this node holds the scheduler lease: only
	// that node fires scheduled rules.
	scheduling atomic.Bool
}

// joinCluster makes this server a node of cfg.Cluster when one is
// configured: the metadata, the code and (unless given) the credentials
// become the cluster's. It returns the code store to serve.
func (s *Server) joinCluster(cfg config.Config, local *codestore.Store) (sharedCode, error) {
	if !cfg.Cluster.Enabled() {
		return local, nil
	}
	node, err := cluster.Join(cluster.Options{Cluster: cfg.Cluster, DataDir: cfg.DataDir, Logger: s.log})
	if err != nil {
		return nil, err
	}
	s.cluster.node = node
	s.store = node.Store
	code, err := node.Code(local)
	if err != nil {
		return nil, err
	}
	s.cluster.code = code
	if s.cluster.conc, err = node.Concurrency(); err != nil {
		return nil, err
	}
	shared, err := node.Credentials(s.Credentials)
	if err != nil {
		return nil, err
	}
	if cfg.AccessKeyID == "" && shared != s.Credentials {
		s.Credentials, s.GeneratedCredentials = shared, false
	}
	s.log.Info("joined cluster", "cluster", cfg.Cluster.Name, "node", node.Name, "replicas", node.Replicas)
	return code, nil
}

// runCluster follows changes made through other nodes (cached function
// specs retire, the schedule reloads) and competes for the scheduler
// lease, until ctx ends.
func (s *Server) runCluster(ctx context.Context) {
	node := s.cluster.node
	if node == nil {
		return
	}
	go node.Store.Watch(ctx, s.invoker.FunctionChanged, s.sched.Reload, func() {
		if err := s.invoker.Resync(); err != nil {
			s.log.Error("functions not caught up with the cluster", "err", err)
		}
	})
	go s.cluster.conc.Run(ctx)
	go s.advertise(ctx)
	go node.RunCollector(ctx, s.cluster.code, s.store, time.Hour)
	s.cluster.fwd.OnMembership(func() {
		if err := s.invoker.Rebalance(); err != nil {
			s.log.Error("provisioned concurrency not rebalanced", "err", err)
		}
	})
	go func() {
		if err := s.cluster.fwd.Run(ctx); err != nil {
			s.log.Error("invocation forwarding stopped", "err", err)
		}
	}()
	go func() {
		if err := s.cluster.events.Run(ctx); err != nil {
			s.log.Error("cluster events stopped", "err", err)
		}
	}()
	node.Lease(ctx, "scheduler", func(held bool) {
		s.cluster.scheduling.Store(held)
		s.log.Info("scheduler lease", "held", held)
	})
}

// fireOnce wraps a rule's firing so that in a cluster only the node
// holding the scheduler lease fires it.
func (s *Server) fireOnce(fire func(context.Context, store.Rule, time.Time)) func(context.Context, store.Rule, time.Time) {
	return func(ctx context.Context, rule store.Rule, at time.Time) {
		if s.cluster.node != nil && !s.cluster.scheduling.Load() {
			return
		}
		fire(ctx, rule, at)
	}
}

// closeCluster leaves the cluster.
func (s *Server) closeCluster() {
	if s.cluster.node != nil {
		s.cluster.node.Close()
	}
}

// clusterEvents routes Event invocations through the cluster's replicated
// event stream when this is a node; the local queue then runs the events
// this node pulls from it.
func (s *Server) clusterEvents() (invoke.Enqueuer, error) {
	if s.cluster.node == nil {
		return s.queue, nil
	}
	ev, err := s.cluster.node.Events(s.queue)
	if err != nil {
		return nil, err
	}
	s.cluster.events = ev
	return ev, nil
}

// settledAsync tells the event stream that the local queue recorded an
// event's outcome.
func (s *Server) settledAsync(id string) {
	if ev := s.cluster.events; ev != nil {
		ev.Settled(id)
	}
}

// limiter is the cluster's count of reserved and account concurrency, nil
// for a single Hearth.
func (s *Server) limiter() invoke.Limiter {
	if s.cluster.conc == nil {
		return nil
	}
	return s.cluster.conc
}

// clusterStatus serves GET /hearth/cluster on a node.
type clusterStatus struct{ s *Server }

func (c clusterStatus) ClusterStatus(ctx context.Context) any {
	return c.s.cluster.node.Status(ctx)
}

// statusSource is the cluster status for the API, nil for a single Hearth.
func (s *Server) statusSource() api.ClusterStatus {
	if s.cluster.node == nil {
		return nil
	}
	return clusterStatus{s}
}

// advertise publishes this node's address and figures to the cluster.
func (s *Server) advertise(ctx context.Context) {
	s.cluster.node.Advertise(ctx, func() cluster.Member {
		capacity := s.cluster.fwd.Capacity()
		m := cluster.Member{API: s.Addr(), Environments: len(s.pool.Environments()), MemoryMB: capacity,
			FreeMB: capacity - s.invoker.MemoryInUse() - int(s.sandbox.PrestartedMemoryBytes()>>20), Idle: s.pool.IdleCounts(), Provisioned: map[string]int{}}
		for _, owner := range s.pool.ProvisionedOwners() {
			if ready := s.pool.Provisioned(owner).Ready; ready > 0 {
				m.Provisioned[owner] = ready
			}
		}
		if s.cluster.events != nil {
			m.PendingEvents = s.cluster.events.Pending()
		}
		return m
	})
}

// placer is the cluster's placement of invocations, nil for a single
// Hearth. The node's capacity is --node-memory, by default 80% of the
// machine's memory.
func (s *Server) placer() invoke.Placer {
	if s.cluster.node == nil {
		return nil
	}
	capacity := s.Config.Cluster.NodeMemoryMB
	if capacity == 0 {
		capacity = cluster.DefaultNodeMemory()
	}
	if capacity == 0 {
		capacity = math.MaxInt32 // unknown: no node forwards for want of memory
	}
	s.cluster.fwd = s.cluster.node.Forwarder(capacity, localInvoker{s})
	return s.cluster.fwd
}

// spreader divides provisioned concurrency between the cluster's nodes,
// nil for a single Hearth; placer must have run.
func (s *Server) spreader() invoke.Spreader {
	if s.cluster.fwd == nil {
		return nil
	}
	return s.cluster.fwd
}

// localInvoker runs on this node the invocations other nodes forward.
type localInvoker struct{ s *Server }

func (l localInvoker) Invoke(ctx context.Context, req *invoke.Request) (*invoke.Result, error) {
	return l.s.invoker.Invoke(ctx, req)
}
