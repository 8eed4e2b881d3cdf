package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// runCluster compares a three-node cluster on loopback with a single
// Hearth measured in the same run: warm invoke latency on the node that
// holds the warm environment, Event acceptance (replicated R3 before the
// 202) and throughput at concurrency 64 spread over the nodes.
func runCluster(ctx context.Context, tb *toolbox, o Options) (*Result, error) {
	rounds, seq, per := 5, 1000, 3*time.Second
	if o.Short {
		rounds, seq, per = 1, 20, 0
	}
	single, err := startHearth(tb)
	if err != nil {
		return nil, err
	}
	defer single.Stop()
	// Node 2's capacity is too small for cfwd's 4096 MB, not for cwarm's
	// environments: its invocations of cfwd are forwarded.
	nodes, err := startClusterNodes(tb, 3, func(i int) []string {
		if i == 1 {
			return []string{"--node-memory", "4000"}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		defer n.Stop()
	}
	for _, h := range []*hearthProc{single, nodes[0]} {
		if err := deploy(ctx, tb, h, "cwarm", runtimeSpecs[0]); err != nil {
			return nil, err
		}
	}
	r := newResult("cluster")
	payload := []byte(`{}`)
	// Interleaved rounds of sequential calls, so that drift of the machine
	// hits both alike.
	var singleCalls, nodeCalls []call
	for round := range rounds + 1 {
		for _, side := range []struct {
			h   *hearthProc
			out *[]call
		}{{single, &singleCalls}, {nodes[0], &nodeCalls}} {
			for range seq {
				c := invoke(ctx, side.h.Lambda, "cwarm", "", payload, false)
				if round > 0 { // round 0 warms up
					*side.out = append(*side.out, c)
				}
			}
		}
	}
	for name, calls := range map[string][]call{"single": singleCalls, "cluster node": nodeCalls} {
		if n, first := failures(calls); n > 0 {
			r.problem("%s: %d of %d failed, first: %v", name, n, len(calls), first)
		}
	}
	ls, ln := latencies(singleCalls).pct(50), latencies(nodeCalls).pct(50)
	t := Table{
		Title:   fmt.Sprintf("Three nodes on loopback (R3) vs a single Hearth, same run; aws-lambda-go hello; %d rounds of %d sequential calls each", rounds, seq),
		Columns: []string{"figure", "single Hearth", "cluster", "ratio"},
	}
	t.row("warm invoke p50 on the node holding the environment (ms)", fmtDur(ls), fmtDur(ln), fmt.Sprintf("%.2f", msOf(ln)/msOf(ls)))
	r.Metrics["cluster.warm_p50_ratio"] = msOf(ln) / msOf(ls)
	if err := clusterAsync(ctx, tb, r, &t, single, nodes[0], per); err != nil {
		return nil, err
	}
	clusterSpread(ctx, r, &t, single, nodes, per)
	ft, err := clusterForward(ctx, tb, r, nodes, rounds, seq)
	if err != nil {
		return nil, err
	}
	t.Notes = append(t.Notes, "Event acceptance: to a function with reserved concurrency 0, so that no event runs during the measurement; "+
		"the cluster's 202 comes after the event is stored on two of three JetStream servers, the single Hearth's after a bbolt fsync.",
		"Concurrency 64: closed loop after a warm-up that starts the environments; the cluster's calls go round robin to its three nodes "+
			"(each node has room for its environments, so none is forwarded).")
	r.Tables = append(r.Tables, t, ft)
	return r, nil
}

// clusterAsync measures Event acceptance at 16 callers.
func clusterAsync(ctx context.Context, tb *toolbox, r *Result, t *Table, single, node *hearthProc, per time.Duration) error {
	var rates []float64
	for _, h := range []*hearthProc{single, node} {
		if err := deploy(ctx, tb, h, "casync", runtimeSpecs[0]); err != nil {
			return err
		}
		// Reserved concurrency 0: the events stay queued instead of
		// competing for the CPU with the other side's measurement.
		if _, err := h.Lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
			FunctionName: aws.String("casync"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
			return err
		}
		ld := load(16, per, 20, func() error {
			out, err := h.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("casync"),
				InvocationType: types.InvocationTypeEvent, Payload: []byte(`{}`)})
			if err == nil && out.StatusCode != 202 {
				err = fmt.Errorf("status %d", out.StatusCode)
			}
			return err
		})
		if ld.fail > 0 {
			r.problem("async: %d failed, first: %v", ld.fail, ld.first)
		}
		rates = append(rates, ld.rate())
	}
	t.row("Event invocations accepted per second, 16 callers", fmt.Sprintf("%.0f", rates[0]), fmt.Sprintf("%.0f", rates[1]),
		fmt.Sprintf("%.2f", rates[1]/rates[0]))
	r.Metrics["cluster.async_ratio"] = rates[1] / rates[0]
	return nil
}

// clusterSpread measures throughput at concurrency 64, the cluster's
// calls spread round robin over its nodes.
func clusterSpread(ctx context.Context, r *Result, t *Table, single *hearthProc, nodes []*hearthProc, per time.Duration) {
	var mu sync.Mutex
	next := 0
	pick := func() *hearthProc {
		mu.Lock()
		defer mu.Unlock()
		next++
		return nodes[next%len(nodes)]
	}
	var rates []float64
	for _, choose := range []func() *hearthProc{func() *hearthProc { return single }, pick} {
		once := func() error { return invoke(ctx, choose().Lambda, "cwarm", "", []byte(`{}`), false).Err }
		load(64, 0, 3, once) // start the environments first
		ld := load(64, per, 5, once)
		if ld.fail > 0 {
			r.problem("spread: %d failed, first: %v", ld.fail, ld.first)
		}
		rates = append(rates, ld.rate())
	}
	t.row("invocations per second at concurrency 64", fmt.Sprintf("%.0f", rates[0]), fmt.Sprintf("%.0f", rates[1]),
		fmt.Sprintf("%.2f", rates[1]/rates[0]))
	r.Metrics["cluster.c64_ratio"] = rates[1] / rates[0]
}

// startClusterNodes starts n Hearth nodes of one cluster at once (a new
// cluster waits for most of its nodes);
// extra(i) are node i's own flags.
func startClusterNodes(tb *toolbox, n int, extra func(i int) []string) ([]*hearthProc, error) {
	routes, clients := make([]string, n), make([]string, n)
	for i := range n {
		var err error
		if routes[i], err = freeAddr(); err != nil {
			return nil, err
		}
		if clients[i], err = freeAddr(); err != nil {
			return nil, err
		}
	}
	nodes, errs := make([]*hearthProc, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		var others []string
		for j, rt := range routes {
			if j != i {
				others = append(others, "nats://"+rt)
			}
		}
		wg.Add(1)
		go func() { // owned by startClusterNodes: it waits for every node
			defer wg.Done()
			args := append([]string{"--cluster", "bench", "--node-name", fmt.Sprint("n", i+1),
				"--nats-listen", clients[i], "--cluster-listen", routes[i], "--cluster-routes", strings.Join(others, ","),
				"--network-cidr", fmt.Sprintf("198.18.%d.0/18", 64*i)}, extra(i)...)
			nodes[i], errs[i] = startHearth(tb, args...)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, h := range nodes {
			if h != nil {
				h.Stop()
			}
		}
		return nil, err
	}
	return nodes, nil
}

// clusterForward compares, in the same run, a warm invocation on the node
// holding the environment (node 1) with the same invocation sent to a
// node that has no room for it (node 2), which forwards it to node 1 over
// NATS request/reply.
func clusterForward(ctx context.Context, tb *toolbox, r *Result, nodes []*hearthProc, rounds, seq int) (Table, error) {
	t := Table{
		Title:   fmt.Sprintf("Forwarded vs local warm invoke, three nodes, same run; aws-lambda-go hello at 4096 MB; %d rounds of %d sequential calls each", rounds, seq),
		Columns: []string{"figure", "on the holding node", "forwarded", "ratio"},
	}
	big := func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(4096) }
	if err := deploy(ctx, tb, nodes[0], "cfwd", runtimeSpecs[0], big); err != nil {
		return t, err
	}
	if c := invoke(ctx, nodes[0].Lambda, "cfwd", "", []byte(`{}`), false); c.Err != nil {
		return t, c.Err
	}
	time.Sleep(3 * time.Second) // node 1 advertises its idle environment
	var local, forwarded []call
	for round := range rounds + 1 {
		for _, side := range []struct {
			h   *hearthProc
			out *[]call
		}{{nodes[0], &local}, {nodes[1], &forwarded}} {
			for range seq {
				c := invoke(ctx, side.h.Lambda, "cfwd", "", []byte(`{}`), false)
				if round > 0 {
					*side.out = append(*side.out, c)
				}
			}
		}
	}
	for name, calls := range map[string][]call{"holding node": local, "forwarded": forwarded} {
		if n, first := failures(calls); n > 0 {
			r.problem("forward, %s: %d of %d failed, first: %v", name, n, len(calls), first)
		}
	}
	l, f := latencies(local), latencies(forwarded)
	for _, p := range []float64{50, 99} {
		t.row(fmt.Sprintf("warm invoke p%.0f (ms)", p), fmtDur(l.pct(p)), fmtDur(f.pct(p)), fmt.Sprintf("%.2f", msOf(f.pct(p))/msOf(l.pct(p))))
	}
	r.Metrics["cluster.forward_p50_ratio"] = msOf(f.pct(50)) / msOf(l.pct(50))
	t.Notes = append(t.Notes, "Node 2 runs with --node-memory 4000, too little for the function's 4096 MB, so every call through it "+
		"goes over NATS request/reply to node 1, which holds the one warm environment; calls alternate between the two in rounds.")
	return t, nil
}
