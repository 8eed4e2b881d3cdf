package e2e

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestClusterReservedConcurrency gives a function reserved concurrency 2
// and sends 9 concurrent 2-second invocations spread over three nodes: at
// most 2 run, the rest are throttled with Lambda's reason.
func TestClusterReservedConcurrency(t *testing.T) {
	nodes := startCluster(t, 3)
	ctx := context.Background()
	c1 := nodes[0].client()
	pyFunction(t, c1, "cl-reserved", "import time\ndef handler(event, context):\n    time.sleep(2)\n    return {}\n")
	if _, err := c1.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("cl-reserved"), ReservedConcurrentExecutions: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	// Every node has seen the reservation once its cached spec retired.
	for _, h := range nodes {
		waitFor(t, "reservation seen", func() bool {
			out, err := h.client().GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("cl-reserved")})
			return err == nil && aws.ToInt32(out.ReservedConcurrentExecutions) == 2
		})
	}
	time.Sleep(500 * time.Millisecond) // the change watch reaches every invoker
	ran, throttled := concurrentOverNodes(t, nodes, "cl-reserved", 9, types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded)
	if ran < 1 || ran > 2 || ran+throttled != 9 {
		t.Fatalf("reserved 2, 9 at once over three nodes: %d ran, %d throttled", ran, throttled)
	}
	t.Logf("%d ran, %d throttled", ran, throttled)
}

// TestClusterAccountLimit runs three nodes with an account concurrency
// limit of 3 and sends 9 concurrent 2-second invocations of an unreserved
// function spread over them: at most 3 run cluster-wide (each node alone
// would allow 3), the rest are throttled with Lambda's reason. Node 1 has
// no memory for the function, so its invocations are forwarded and count
// (or are throttled) on the node that runs them, and the throttle's
// reason comes back over the hop.
func TestClusterAccountLimit(t *testing.T) {
	nodes := startClusterEach(t, 3, func(i int) []string {
		args := []string{"--concurrency-limit", "3", "--min-unreserved", "0"}
		if i == 0 {
			args = append(args, "--node-memory", "64")
		}
		return args
	})
	for _, h := range nodes {
		waitFor(t, "every node sees every node", func() bool { return len(clusterMembers(t, h)) == 3 })
	}
	pyFunction(t, nodes[0].client(), "cl-account", "import time\ndef handler(event, context):\n    time.sleep(2)\n    return {}\n")
	ran, throttled := concurrentOverNodes(t, nodes, "cl-account", 9, types.ThrottleReasonConcurrentInvocationLimitExceeded)
	if ran < 1 || ran > 3 || ran+throttled != 9 {
		t.Fatalf("account limit 3, 9 at once over three nodes: %d ran, %d throttled", ran, throttled)
	}
	if envs := nodes[0].environments(t, "cl-account"); len(envs) != 0 {
		t.Fatalf("node 1, with 64 MB, started %d environments", len(envs))
	}
	t.Logf("%d ran, %d throttled", ran, throttled)
}

// concurrentOverNodes invokes the function n times at once, round-robin
// over the nodes, and counts the invocations that ran and those throttled
// with reason; any other outcome fails the test.
func concurrentOverNodes(t *testing.T, nodes []*hearth, function string, n int, reason types.ThrottleReason) (ran, throttled int) {
	t.Helper()
	ctx := context.Background()
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := nodes[i%3].client()
			<-start
			_, errs[i] = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(function)})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		var tm *types.TooManyRequestsException
		switch {
		case err == nil:
			ran++
		case errors.As(err, &tm) && tm.Reason == reason:
			throttled++
		default:
			t.Errorf("invocation %d: %v", i, err)
		}
	}
	return ran, throttled
}
