package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestClusterAsyncSurvivesNodeKill accepts 300 Event invocations through
// node 1 and kills it with -9 right after the last 202: every event still
// runs, the ones node 1 had not finished on nodes 2 and 3.
func TestClusterAsyncSurvivesNodeKill(t *testing.T) {
	const events = 300
	nodes := startCluster(t, 3)
	c1 := nodes[0].client()
	src := "import time\ndef handler(event, context):\n    time.sleep(0.05)\n    print('EVENT', event['n'])\n    return {}\n"
	pyFunction(t, c1, "cl-async", src)
	for i := range events {
		out, err := c1.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("cl-async"),
			InvocationType: types.InvocationTypeEvent, Payload: fmt.Appendf(nil, `{"n": %d}`, i)})
		if err != nil || out.StatusCode != 202 {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	nodes[0].kill9()
	ran := func(h *hearth) map[string]bool {
		lines, _ := h.logLines(t, "cl-async", "EVENT ")
		seen := map[string]bool{}
		for _, l := range lines {
			seen[l] = true
		}
		return seen
	}
	deadline := time.Now().Add(45 * time.Second)
	for {
		all, survivors := ran(nodes[0]), 0
		for _, h := range nodes[1:] {
			for n := range ran(h) {
				all[n] = true
				survivors++
			}
		}
		if len(all) == events {
			t.Logf("all %d events ran; %d runs on nodes 2 and 3", events, survivors)
			if survivors == 0 {
				t.Fatal("nodes 2 and 3 ran no event")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events ran", len(all), events)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
