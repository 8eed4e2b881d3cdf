package cluster

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/invoke"
)

func TestChoose(t *testing.T) {
	now := time.Now()
	key := "fn:1"
	m := func(name string, free int, idle int, age time.Duration) Member {
		mm := Member{Name: name, FreeMB: free, Seen: now.Add(-age)}
		if idle > 0 {
			mm.Idle = map[string]int{key: idle}
		}
		return mm
	}
	tests := []struct {
		name    string
		members []Member
		want    string
	}{
		{"none", nil, ""},
		{"only self", []Member{m("self", 4096, 3, 0)}, ""},
		{"most free memory", []Member{m("a", 512, 0, 0), m("b", 2048, 0, 0), m("c", 1024, 0, 0)}, "b"},
		{"warm beats free memory", []Member{m("a", 100, 1, 0), m("b", 4096, 0, 0)}, "a"},
		{"more idle first", []Member{m("a", 4096, 1, 0), m("b", 100, 2, 0)}, "b"},
		{"warm with no free memory still fits", []Member{m("a", 0, 1, 0)}, "a"},
		{"too little memory", []Member{m("a", 127, 0, 0), m("b", 64, 0, 0)}, ""},
		{"dead node skipped", []Member{m("a", 4096, 2, 2*leaseTTL), m("b", 256, 0, time.Second)}, "b"},
		{"tie by name", []Member{m("b", 1024, 0, 0), m("a", 1024, 0, 0)}, "a"},
		{"self skipped even when best", []Member{m("self", 9999, 5, 0), m("a", 128, 0, 0)}, "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := choose(tc.members, "self", key, 128, now)
			if got != tc.want || ok != (tc.want != "") {
				t.Fatalf("choose = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
}

// fakeLocal is the invoker of a forwarding test's target node; it records
// what it was asked and answers with res or err.
type fakeLocal struct {
	got   chan *invoke.Request
	here  chan bool
	res   *invoke.Result
	err   error
	sleep time.Duration
}

func (f *fakeLocal) Invoke(ctx context.Context, req *invoke.Request) (*invoke.Result, error) {
	f.got <- req
	f.here <- invoke.HereMarked(ctx)
	time.Sleep(f.sleep)
	return f.res, f.err
}

// forwardPair returns a forwarder on node a that sees node b, and b's
// forwarder serving with local.
func forwardPair(t *testing.T, local *fakeLocal) *Forwarder {
	t.Helper()
	nodes := testNodes(t, 2)
	a, b := nodes[0], nodes[1]
	a.log, b.log = slog.Default(), slog.Default()
	fa, fb := a.Forwarder(64, nil), b.Forwarder(4096, local)
	ctx, cancel := context.WithCancel(context.Background())
	sub, err := b.Conn.Subscribe(invokeSubject+b.Name, func(m *nats.Msg) { go fb.serve(ctx, m) })
	if err != nil {
		t.Fatal(err)
	}
	b.Conn.Flush()
	t.Cleanup(func() { cancel(); sub.Unsubscribe() })
	fa.members["b"] = Member{Name: "b", FreeMB: 4096, Seen: time.Now()}
	return fa
}

// TestForwardRelays forwards an invocation and checks that every field
// of the request and of the answer crosses the hop, and that the target
// runs it itself (one hop at most).
func TestForwardRelays(t *testing.T) {
	local := &fakeLocal{got: make(chan *invoke.Request, 1), here: make(chan bool, 1), sleep: 1500 * time.Millisecond,
		res: &invoke.Result{Status: 200, Payload: []byte(`{"errorMessage":"boom"}`), FunctionError: "Unhandled",
			ExecutedVersion: "3", LogTail: []byte("START\nEND\n"), RequestID: "r-1"}}
	fa := forwardPair(t, local)
	payload := []byte(`{"big":"` + strings.Repeat("x", 5<<20) + `"}`)
	req := &invoke.Request{Function: "fn", Qualifier: "live", Type: invoke.RequestResponse, Payload: payload,
		LogTail: true, ClientContext: `{"custom":{"a":"b\nc"}}`, TraceID: "Root=1-2-3"}
	res, handled, err := fa.Place(context.Background(), req, invoke.Placement{Function: "fn", Version: "3", MemoryMB: 128})
	if err != nil || !handled {
		t.Fatalf("Place: handled %v, err %v", handled, err)
	}
	got := <-local.got
	if got.Function != "fn" || got.Qualifier != "live" || !got.LogTail || got.ClientContext != req.ClientContext ||
		got.TraceID != req.TraceID || string(got.Payload) != string(payload) || got.Type != invoke.RequestResponse {
		t.Fatalf("target got %+v", got)
	}
	if !<-local.here {
		t.Fatal("the target was free to forward the invocation again")
	}
	if res.Status != 200 || string(res.Payload) != string(local.res.Payload) || res.FunctionError != "Unhandled" ||
		res.ExecutedVersion != "3" || string(res.LogTail) != "START\nEND\n" || res.RequestID != "r-1" {
		t.Fatalf("relayed %+v", res)
	}
}

// TestForwardErrors relays a throttle with its reason and a missing
// function with its ARN.
func TestForwardErrors(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		check func(error) bool
	}{
		{"throttle", &errdefs.ThrottleError{Reason: "ReservedFunctionConcurrentInvocationLimitExceeded"}, func(err error) bool {
			var te *errdefs.ThrottleError
			return errors.As(err, &te) && te.Reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
		}},
		{"not found", &errdefs.NotFoundError{Err: invoke.ErrFunctionNotFound, ARN: "arn:x"}, func(err error) bool {
			var nf *errdefs.NotFoundError
			return errors.As(err, &nf) && nf.ARN == "arn:x" && errors.Is(err, invoke.ErrFunctionNotFound)
		}},
		{"class", errdefs.New(errdefs.ErrUnavailable, "closing"), func(err error) bool { return errors.Is(err, errdefs.ErrUnavailable) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			local := &fakeLocal{got: make(chan *invoke.Request, 1), here: make(chan bool, 1), err: tc.err}
			fa := forwardPair(t, local)
			_, handled, err := fa.Place(context.Background(), &invoke.Request{Function: "fn", Type: invoke.RequestResponse, Payload: []byte("{}")},
				invoke.Placement{Function: "fn", Version: "$LATEST", MemoryMB: 128})
			if !handled || !tc.check(err) {
				t.Fatalf("handled %v, err %v", handled, err)
			}
		})
	}
}

// TestForwardTargetGone: a node that never accepts leaves the invocation
// to the forwarder; one that accepts and then falls silent answers with
// Lambda's error for an environment that died.
func TestForwardTargetGone(t *testing.T) {
	nodes := testNodes(t, 2)
	a, b := nodes[0], nodes[1]
	a.log = slog.Default()
	fa := a.Forwarder(64, nil)
	fa.members["b"] = Member{Name: "b", FreeMB: 4096, Seen: time.Now()}
	at := invoke.Placement{Function: "fn", Version: "1", MemoryMB: 128}
	req := &invoke.Request{Function: "fn", Type: invoke.RequestResponse, Payload: []byte("{}")}
	if _, handled, err := fa.Place(context.Background(), req, at); handled || err != nil {
		t.Fatalf("no node listening: handled %v, err %v", handled, err)
	}
	sub, err := b.Conn.Subscribe(invokeSubject+"b", func(m *nats.Msg) {
		r := &nats.Msg{Subject: m.Reply, Header: nats.Header{}}
		r.Header.Set(hdrStage, "accepted")
		b.Conn.PublishMsg(r) // and then nothing, as from a node killed mid-invocation
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	b.Conn.Flush()
	res, handled, err := fa.Place(context.Background(), req, at)
	if !handled || err != nil || res.FunctionError != "Unhandled" || !strings.Contains(string(res.Payload), errdefs.RuntimeExitError) ||
		res.ExecutedVersion != "1" {
		t.Fatalf("target died: handled %v, err %v, %+v", handled, err, res)
	}
}

// TestPlaceLocal: an invocation runs here while this node has room for
// it, or when no other node has.
func TestPlaceLocal(t *testing.T) {
	nodes := testNodes(t, 1)
	nodes[0].log = slog.Default()
	f := nodes[0].Forwarder(1024, nil)
	req := &invoke.Request{Function: "fn", Type: invoke.RequestResponse, Payload: []byte("{}")}
	for _, at := range []invoke.Placement{{Function: "fn", Version: "1", MemoryMB: 512, UsedMB: 512}, {Function: "fn", Version: "1", MemoryMB: 512, UsedMB: 1000}} {
		if _, handled, err := f.Place(context.Background(), req, at); handled || err != nil {
			t.Fatalf("%+v: handled %v, err %v", at, handled, err)
		}
	}
}

// TestPartOf: the nodes' parts of a configuration add up to its count,
// differ by one at most, and do not all put the remainder on one node.
func TestPartOf(t *testing.T) {
	names := []string{"node1", "node2", "node3"}
	extra := map[string]int{}
	for _, count := range []int{0, 1, 2, 3, 4, 7, 100} {
		for _, owner := range []string{"fn:1", "fn:live", "other:2", "x:prod"} {
			sum, lo, hi := 0, count, 0
			for _, n := range names {
				p := partOf(names, n, owner, count)
				sum += p
				lo, hi = min(lo, p), max(hi, p)
				if count == 1 && p == 1 {
					extra[n]++
				}
			}
			if sum != count || hi-lo > 1 {
				t.Fatalf("%s count %d: sum %d, parts from %d to %d", owner, count, sum, lo, hi)
			}
		}
	}
	if len(extra) < 2 {
		t.Fatalf("a count of 1 always lands on %v", extra)
	}
	if got := partOf(nil, "node1", "fn:1", 5); got != 5 {
		t.Fatalf("alone, a node takes %d of 5", got)
	}
}
