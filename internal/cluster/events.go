package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/queue"
)

// Event stream settings.
const (
	eventStream   = "HEARTH_EVENTS"
	eventSubject  = "hearth.events"
	eventConsumer = "hearth-dispatch"
	// eventAckWait is how long an event handed to a node stays with it
	// without a sign of life: a node that dies gives its events back to
	// the others after at most this long.
	eventAckWait = 10 * time.Second
)

// LocalQueue is the node's own async queue, which runs events with
// Lambda's retries, destinations and age limit.
type LocalQueue interface {
	Enqueue(ctx context.Context, ev queue.Event) (string, error)
}

// Events is the cluster's asynchronous event queue: a JetStream stream
// with work-queue retention, replicated like the buckets. Enqueue returns
// once the event is stored on a majority of the servers (then the caller
// gets 202). Every node pulls events from one shared consumer into its
// local queue and acknowledges each only when the local queue has
// recorded its outcome (Settled); until then it tells JetStream the event
// is in progress. When a node dies its unacknowledged events are
// redelivered to the others after eventAckWait: delivery is at least once.
type Events struct {
	js       jetstream.JetStream
	local    LocalQueue
	log      *slog.Logger
	consumer jetstream.Consumer

	mu      sync.Mutex
	pending map[string]jetstream.Msg // by event ID, until settled
}

// Events creates (or joins) the event stream and its consumer.
func (n *Node) Events(local LocalQueue) (*Events, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	e := &Events{js: n.JS, local: local, log: n.log, pending: map[string]jetstream.Msg{}}
	err := retry(ctx, func(ctx context.Context) error {
		_, err := n.JS.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name: eventStream, Subjects: []string{eventSubject}, Retention: jetstream.WorkQueuePolicy,
			Storage: jetstream.FileStorage, Replicas: n.Replicas, Duplicates: 2 * time.Minute,
		})
		if err != nil {
			return err
		}
		e.consumer, err = n.JS.CreateOrUpdateConsumer(ctx, eventStream, jetstream.ConsumerConfig{
			Durable: eventConsumer, AckPolicy: jetstream.AckExplicitPolicy, AckWait: eventAckWait,
			MaxAckPending: 10000, Replicas: n.Replicas,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("event stream: %w", err)
	}
	return e, nil
}

// Enqueue accepts an event for the cluster: it returns once JetStream has
// stored it (replicated).
func (e *Events) Enqueue(ctx context.Context, ev queue.Event) (string, error) {
	if ev.ID == "" {
		ev.ID = function.NewUUID()
	}
	if ev.Accepted.IsZero() {
		ev.Accepted = time.Now()
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = retry(ctx, func(ctx context.Context) error {
		_, err := e.js.Publish(ctx, eventSubject, data, jetstream.WithMsgID(ev.ID))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("enqueue event %s: %w", ev.ID, err)
	}
	return ev.ID, nil
}

// Run pulls events into the local queue until ctx ends.
func (e *Events) Run(ctx context.Context) error {
	cc, err := e.consumer.Consume(e.take, jetstream.PullMaxMessages(256))
	if err != nil {
		return fmt.Errorf("consume events: %w", err)
	}
	defer cc.Stop()
	tick := time.NewTicker(eventAckWait / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			e.mu.Lock()
			for _, m := range e.pending {
				_ = m.InProgress()
			}
			e.mu.Unlock()
		}
	}
}

// take hands one delivered event to the local queue.
func (e *Events) take(m jetstream.Msg) {
	var ev queue.Event
	if err := json.Unmarshal(m.Data(), &ev); err != nil {
		e.log.Error("undecodable event dropped", "err", err)
		_ = m.Term()
		return
	}
	e.mu.Lock()
	_, again := e.pending[ev.ID]
	e.pending[ev.ID] = m
	e.mu.Unlock()
	if again {
		return // redelivered while this node still has it
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.local.Enqueue(ctx, ev); err != nil {
		e.log.Warn("event not accepted locally; handing it back", "requestId", ev.ID, "err", err)
		e.mu.Lock()
		delete(e.pending, ev.ID)
		e.mu.Unlock()
		_ = m.Nak()
	}
}

// Settled acknowledges the event with the given ID: the local queue
// recorded its outcome. IDs of events that did not come from the stream
// (retries' destinations, scheduled rules) are ignored.
func (e *Events) Settled(id string) {
	e.mu.Lock()
	m, ok := e.pending[id]
	delete(e.pending, id)
	e.mu.Unlock()
	if ok {
		_ = m.Ack()
	}
}

// Pending is how many events this node holds unacknowledged.
func (e *Events) Pending() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.pending)
}
