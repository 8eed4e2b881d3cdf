package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hearth-run/hearth/internal/invoke"
	"github.com/hearth-run/hearth/internal/pool"
)

// Forwarding protocol. An invocation goes to subject invokeSubject+node
// with its fields in the hearthRequest header (JSON) and the payload as
// the body. The node answers on the reply subject: at once with the stage
// header "accepted", every keepAlive with "running" while it runs, and
// last with the hearthResult header and the response body. A forwarder
// that hears nothing for silenceLimit after "accepted" takes the node for
// dead and answers as Lambda does when an environment dies; one that hears
// nothing before "accepted" runs the invocation itself, for the node never
// started it.
const (
	invokeSubject = "hearth.invoke."
	hdrStage      = "Hearth-Stage"
	hdrRequest    = "Hearth-Request"
	hdrResult     = "Hearth-Result"
	keepAlive     = time.Second
	silenceLimit  = 4 * time.Second
	// envelopeRoom is room left in a message for headers beside the
	// payload.
	envelopeRoom = 16 << 10
)

// wireRequest is an invoke.Request on the wire, without its payload.
type wireRequest struct {
	Function      string `json:"function"`
	Qualifier     string `json:"qualifier,omitempty"`
	LogTail       bool   `json:"logTail,omitempty"`
	ClientContext string `json:"clientContext,omitempty"`
	TraceID       string `json:"traceId,omitempty"`
}

// wireResult is an invoke.Result, or the error of an invocation, on the
// wire, without its payload.
type wireResult struct {
	Status          int        `json:"status"`
	FunctionError   string     `json:"functionError,omitempty"`
	ExecutedVersion string     `json:"executedVersion,omitempty"`
	LogTail         []byte     `json:"logTail,omitempty"`
	RequestID       string     `json:"requestId,omitempty"`
	Error           *wireError `json:"error,omitempty"`
}

// wireError carries an invocation's Go error in its errdefs class, with
// the fields the API answers with.
type wireError struct {
	Class   string `json:"class"`
	Reason  string `json:"reason,omitempty"` // throttles
	ARN     string `json:"arn,omitempty"`    // missing functions
	Message string `json:"message"`
}

// LocalInvoker runs an invocation on this node.
type LocalInvoker interface {
	Invoke(ctx context.Context, req *invoke.Request) (*invoke.Result, error)
}

// Forwarder places invocations on the cluster's nodes: it serves the
// invocations other nodes forward here and forwards those this node has no
// room for, using what every node advertises in hearth-nodes.
type Forwarder struct {
	node     *Node
	capacity int
	local    LocalInvoker
	log      *slog.Logger

	// rebalance, when set, is called when nodes join or leave.
	rebalance func()

	replyMu sync.Mutex // guards replies
	replies *replies   // answers to forwarded invocations; nil until the first

	mu      sync.Mutex // guards members
	members map[string]Member
	wg      sync.WaitGroup // invocations served for other nodes
}

var _ invoke.Placer = (*Forwarder)(nil)

// Forwarder returns the node's Forwarder, with the members advertised so
// far; capacityMB is --node-memory and local runs what other nodes
// forward here. Run serves it.
func (n *Node) Forwarder(capacityMB int, local LocalInvoker) *Forwarder {
	f := &Forwarder{node: n, capacity: capacityMB, local: local, log: n.log, members: map[string]Member{}}
	_, _ = f.replyInbox() // subscribed ahead, so that the servers know of it before the first reply
	if n.members != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		keys, _ := n.members.Keys(ctx)
		for _, k := range keys {
			var m Member
			if e, err := n.members.Get(ctx, k); err == nil && json.Unmarshal(e.Value(), &m) == nil {
				f.members[k] = m
			}
		}
	}
	return f
}

// OnMembership sets the function Run calls when nodes join or leave (to
// rebalance provisioned concurrency); call it before Run.
func (f *Forwarder) OnMembership(changed func()) { f.rebalance = changed }

// Capacity is the node's memory capacity in MB.
func (f *Forwarder) Capacity() int { return f.capacity }

// Run serves forwarded invocations and follows the members'
// advertisements until ctx ends; it waits for the invocations it started.
func (f *Forwarder) Run(ctx context.Context) error {
	sub, err := f.node.Conn.Subscribe(invokeSubject+f.node.Name, func(m *nats.Msg) {
		f.wg.Add(1)
		go func() { defer f.wg.Done(); f.serve(ctx, m) }()
	})
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", invokeSubject+f.node.Name, err)
	}
	defer f.wg.Wait()
	defer func() { _ = sub.Unsubscribe() }()
	if f.rebalance != nil {
		f.wg.Add(1)
		go func() { defer f.wg.Done(); f.followMembership(ctx, f.rebalance) }()
	}
	for ctx.Err() == nil {
		if err := f.watch(ctx); err != nil && ctx.Err() == nil {
			f.log.Warn("cluster members watch", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return nil
}

// watch keeps f.members up to date with hearth-nodes until ctx ends or the
// watch fails.
func (f *Forwarder) watch(ctx context.Context) error {
	w, err := f.node.members.WatchAll(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return errors.New("watch ended")
			}
			if e == nil {
				continue // the initial values are all in
			}
			f.mu.Lock()
			var m Member
			if e.Operation() != jetstream.KeyValuePut || json.Unmarshal(e.Value(), &m) != nil {
				delete(f.members, e.Key())
			} else {
				f.members[e.Key()] = m
			}
			f.mu.Unlock()
		}
	}
}

// Members returns the advertisements last seen, of live and dead nodes.
func (f *Forwarder) Members() []Member {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Member, 0, len(f.members))
	for _, m := range f.members {
		out = append(out, m)
	}
	return out
}

// Place runs the invocation here when this node has room for its
// environment, else forwards it to the node choose picks; when none has
// room either, it runs here all the same.
func (f *Forwarder) Place(ctx context.Context, req *invoke.Request, at invoke.Placement) (*invoke.Result, bool, error) {
	if at.UsedMB+at.MemoryMB <= f.capacity {
		return nil, false, nil
	}
	if len(req.Payload)+len(req.ClientContext)+envelopeRoom > int(f.node.Conn.MaxPayload()) {
		return nil, false, nil // too large for this NATS: run here
	}
	target, ok := choose(f.Members(), f.node.Name, pool.Key(at.Function, at.Version), at.MemoryMB, time.Now())
	if !ok {
		return nil, false, nil
	}
	return f.forward(ctx, target, req, at)
}
