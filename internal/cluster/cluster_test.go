package cluster

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hearth-run/hearth/internal/queue"
)

// testNodes returns n Nodes named a, b, … sharing one embedded server, as
// nodes of a cluster share JetStream.
func testNodes(t *testing.T, n int) []*Node {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ns, err := StartServer(ServerOptions{NodeName: "s", Listen: addr, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	var out []*Node
	for i := range n {
		nc, err := nats.Connect(ns.ClientURL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		node := &Node{Name: string(rune('a' + i)), Conn: nc, JS: js, Replicas: 1}
		node.leases, err = js.CreateOrUpdateKeyValue(context.Background(), jetstream.KeyValueConfig{
			Bucket: "hearth-leases", History: 1, TTL: leaseTTL,
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, node)
	}
	return out
}

// TestLeaseOneHolder runs two nodes competing for one lease: exactly one
// holds it; when it stops renewing, the other takes over.
func TestLeaseOneHolder(t *testing.T) {
	nodes := testNodes(t, 2)
	var holders [2]atomic.Bool
	ctxs := make([]context.CancelFunc, 2)
	var wg sync.WaitGroup
	for i, n := range nodes {
		ctx, cancel := context.WithCancel(context.Background())
		ctxs[i] = cancel
		wg.Add(1)
		go func() { defer wg.Done(); n.Lease(ctx, "test", func(h bool) { holders[i].Store(h) }) }()
	}
	defer func() {
		for _, c := range ctxs {
			c()
		}
		wg.Wait()
	}()
	waitUntil(t, 5*time.Second, func() bool { return holders[0].Load() != holders[1].Load() })
	time.Sleep(leaseTTL / 2)
	if holders[0].Load() == holders[1].Load() {
		t.Fatalf("holders: %v %v", holders[0].Load(), holders[1].Load())
	}
	first := 0
	if holders[1].Load() {
		first = 1
	}
	if got := nodes[0].Holder(context.Background(), "test"); got != nodes[first].Name {
		t.Fatalf("Holder says %q, node %s holds it", got, nodes[first].Name)
	}
	ctxs[first]() // the holder stops: its lease expires
	waitUntil(t, 2*leaseTTL, func() bool { return holders[1-first].Load() })
}

// TestConcurrencyAcrossNodes takes units of a limit of 3 from two nodes:
// no more than 3 at once; released units are reused without a write and
// returned after idleReturn, so the other node can take them.
func TestConcurrencyAcrossNodes(t *testing.T) {
	nodes := testNodes(t, 2)
	var cs []*Concurrency
	for _, n := range nodes {
		c, err := n.Concurrency()
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	a, b := cs[0], cs[1]
	if !a.Acquire("f", 3) || !a.Acquire("f", 3) || !b.Acquire("f", 3) {
		t.Fatal("three units of three refused")
	}
	if a.Acquire("f", 3) || b.Acquire("f", 3) {
		t.Fatal("a fourth unit of three granted")
	}
	b.Release("f")
	if a.Acquire("f", 3) {
		t.Fatal("b's released unit went to a while b still holds it")
	}
	if !b.Acquire("f", 3) {
		t.Fatal("b could not reuse its own unit")
	}
	b.Release("f")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.Run(ctx)
	waitUntil(t, 3*leaseTTL/2, func() bool { return a.Acquire("f", 3) })
}

// TestEventsAckedWhenSettled enqueues events through the stream: a node
// pulls them into its local queue and acknowledges each only when told it
// settled; an unsettled one is redelivered after the node stops.
func TestEventsAckedWhenSettled(t *testing.T) {
	nodes := testNodes(t, 2)
	locals := []*fakeQueue{{got: make(chan queue.Event, 10)}, {got: make(chan queue.Event, 10)}}
	var evs []*Events
	for i, n := range nodes {
		e, err := n.Events(locals[i])
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go evs[0].Run(ctx)
	id, err := evs[1].Enqueue(context.Background(), queue.Event{Function: "f", Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	got := <-locals[0].got
	if got.ID != id || got.Accepted.IsZero() {
		t.Fatalf("node a got %+v", got)
	}
	cancel() // node a stops without settling the event
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	go evs[1].Run(ctx2)
	select {
	case again := <-locals[1].got:
		if again.ID != id {
			t.Fatalf("redelivered %s, want %s", again.ID, id)
		}
	case <-time.After(3 * eventAckWait):
		t.Fatal("an unsettled event was not redelivered")
	}
	evs[1].Settled(id)
	waitUntil(t, 5*time.Second, func() bool { return evs[1].Pending() == 0 })
	info, err := evs[1].consumer.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, func() bool {
		info, err = evs[1].consumer.Info(context.Background())
		return err == nil && info.NumAckPending == 0
	})
}

type fakeQueue struct{ got chan queue.Event }

func (f *fakeQueue) Enqueue(_ context.Context, ev queue.Event) (string, error) {
	f.got <- ev
	return ev.ID, nil
}

func waitUntil(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
