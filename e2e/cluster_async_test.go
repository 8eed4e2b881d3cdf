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

// TestClusterScheduleFiresOnce runs a rate(1 minute) rule at 60 times
// real speed on three nodes: it fires about once a second in all, not
// once per node.
func TestClusterScheduleFiresOnce(t *testing.T) {
	nodes := startCluster(t, 3, "--schedule-speedup", "60")
	arn := pyFunction(t, nodes[0].client(), "cl-tick", `import json
def handler(event, context):
    print("TICK " + json.dumps({"time": event.get("time")}))
`)
	ctx := context.Background()
	if _, err := nodes[1].eventsClient().PutRule(ctx, "ticker", "rate(1 minute)"); err != nil {
		t.Fatal(err)
	}
	if err := nodes[2].eventsClient().PutTargets(ctx, "ticker", "fn", arn); err != nil {
		t.Fatal(err)
	}
	allowRule(t, nodes[1].client(), "cl-tick", "", "arn:aws:events:us-east-1:000000000000:rule/ticker")
	start := time.Now()
	time.Sleep(6 * time.Second)
	var ticks []string
	for _, h := range nodes {
		lines, _ := h.logLines(t, "cl-tick", "TICK ")
		ticks = append(ticks, lines...)
	}
	elapsed := time.Since(start)
	seen := map[string]bool{}
	for _, tick := range ticks {
		seen[tick] = true
	}
	// One firing per scheduled second (plus one for a period that began
	// just before the target was added and one still running at the end).
	if len(ticks) < 3 || len(ticks) > int(elapsed.Seconds())+2 || len(seen) != len(ticks) {
		t.Fatalf("%d firings (%d distinct) in %v: %v", len(ticks), len(seen), elapsed, ticks)
	}
	t.Logf("%d firings in %v", len(ticks), elapsed)
}
