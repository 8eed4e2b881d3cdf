package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// memberView is a node's advertisement as GET /hearth/cluster lists it.
type memberView struct {
	Name        string         `json:"name"`
	MemoryMB    int            `json:"memoryMB"`
	FreeMB      int            `json:"freeMB"`
	Idle        map[string]int `json:"idle"`
	Provisioned map[string]int `json:"provisioned"`
}

// clusterMembers reads the members h sees.
func clusterMembers(t *testing.T, h *hearth) map[string]memberView {
	t.Helper()
	status, _, body := signedRequest(t, h, "GET", "/hearth/cluster", nil, testKeyID, testSecret, time.Now())
	if status != 200 {
		t.Fatalf("cluster status: %d %v", status, body)
	}
	raw, _ := json.Marshal(body["members"])
	var list []memberView
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]memberView{}
	for _, m := range list {
		out[m.Name] = m
	}
	return out
}

// placementSrc echoes what it was given, prints a marker to its log and
// fails when asked to.
const placementSrc = `import json
def handler(event, context):
    print("ran-" + event.get("tag", ""))
    if event.get("fail"):
        raise ValueError("failed on purpose")
    cc = context.client_context
    return {"event": event, "custom": cc.custom if cc else None, "version": context.function_version}
`

// TestClusterForwarding starts node 1 with too little memory for any
// environment: invocations through it run on node 2 or 3, and the answer —
// payload, executed version, log tail, function error — comes back as if
// node 1 had run them; a second invocation goes to the node that holds the
// warm environment.
func TestClusterForwarding(t *testing.T) {
	nodes := startClusterEach(t, 3, func(i int) []string {
		if i == 0 {
			return []string{"--node-memory", "64"}
		}
		return nil
	})
	ctx := context.Background()
	c1 := nodes[0].client()
	pyFunction(t, c1, "cl-fwd", placementSrc)
	if _, err := c1.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("cl-fwd")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every node advertised", func() bool {
		ms := clusterMembers(t, nodes[0])
		return len(ms) == 3 && ms["node1"].MemoryMB == 64 && ms["node2"].FreeMB >= 128 && ms["node3"].FreeMB >= 128
	})
	out, err := c1.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("cl-fwd"), Qualifier: aws.String("1"),
		Payload: []byte(`{"tag":"first","n":[1,2,3]}`), LogType: types.LogTypeTail,
		ClientContext: aws.String(b64(`{"custom":{"k":"v"}}`))})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Event   map[string]any    `json:"event"`
		Custom  map[string]string `json:"custom"`
		Version string            `json:"version"`
	}
	if err := json.Unmarshal(out.Payload, &got); err != nil || got.Event["tag"] != "first" || got.Custom["k"] != "v" || got.Version != "1" {
		t.Fatalf("forwarded answer %s (%v)", out.Payload, err)
	}
	log := decodeB64(t, aws.ToString(out.LogResult))
	if aws.ToString(out.ExecutedVersion) != "1" || out.FunctionError != nil || !strings.Contains(log, "ran-first") || !hasInitDuration(log) {
		t.Fatalf("forwarded headers: version %q, error %v, log %q", aws.ToString(out.ExecutedVersion), out.FunctionError, log)
	}
	ranOn := holder(t, nodes, "cl-fwd")
	if ranOn == 0 {
		t.Fatal("node 1, with 64 MB, ran a 128 MB function itself")
	}
	// The holder advertises its idle environment; the next invocation
	// through node 1 goes there, warm, and fails on purpose.
	waitFor(t, "the warm environment advertised", func() bool {
		return clusterMembers(t, nodes[0])[fmt.Sprint("node", ranOn+1)].Idle["cl-fwd:1"] == 1
	})
	r := invoke(t, c1, "cl-fwd", map[string]any{"tag": "second", "fail": true}, "1")
	if r.FunctionError != "Unhandled" || r.Payload["errorType"] != "ValueError" || r.Payload["errorMessage"] != "failed on purpose" ||
		hasInitDuration(r.Log) || !strings.Contains(r.Log, "ran-second") || r.Version != "1" {
		t.Fatalf("forwarded function error: %+v", r)
	}
	if again := holder(t, nodes, "cl-fwd"); again != ranOn {
		t.Fatalf("second invocation ran on node %d, not on node %d that held the warm environment", again+1, ranOn+1)
	}
	lines, _ := nodes[ranOn].logLines(t, "cl-fwd", "ran-")
	if strings.Join(lines, ",") != "first,second" {
		t.Fatalf("node %d's log has %q", ranOn+1, lines)
	}
	// Through node 2 or 3, which have room, an invocation runs where it
	// arrives.
	other := 3 - ranOn // the node of 2 and 3 that did not run it
	if r := invoke(t, nodes[other].client(), "cl-fwd", map[string]any{"tag": "third"}, "1"); !hasInitDuration(r.Log) {
		t.Fatalf("node %d sent its invocation to the warm environment elsewhere: %+v", other+1, r)
	}
	if lines, _ := nodes[other].logLines(t, "cl-fwd", "ran-"); strings.Join(lines, ",") != "third" {
		t.Fatalf("node %d's log has %q", other+1, lines)
	}
	forwardedToDeadNode(t, nodes)
}

// forwardedToDeadNode forwards a long invocation through node 1 and kills
// the node running it: the caller gets Lambda's answer for an environment
// that died, not a hang.
func forwardedToDeadNode(t *testing.T, nodes []*hearth) {
	t.Helper()
	pyFunction(t, nodes[0].client(), "cl-fwd-slow", "import time\ndef handler(event, context):\n    time.sleep(30)\n    return {}\n")
	type answer struct {
		r   invokeResult
		err error
	}
	done := make(chan answer, 1)
	go func() { // owned by the test: it reads done below
		payload := []byte(`{}`)
		out, err := nodes[0].client().Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("cl-fwd-slow"), Payload: payload})
		var a answer
		a.err = err
		if err == nil {
			a.r = invokeResult{Raw: out.Payload, FunctionError: aws.ToString(out.FunctionError)}
			_ = json.Unmarshal(out.Payload, &a.r.Payload)
		}
		done <- a
	}()
	running := -1
	waitFor(t, "the slow invocation running on node 2 or 3", func() bool {
		for i := 1; i < 3; i++ {
			for _, e := range nodes[i].environments(t, "cl-fwd-slow") {
				if e.State == "Busy" {
					running = i
					return true
				}
			}
		}
		return false
	})
	killed := time.Now()
	nodes[running].kill9()
	select {
	case a := <-done:
		if a.err != nil || a.r.FunctionError != "Unhandled" || a.r.Payload["errorType"] != "Runtime.ExitError" {
			t.Fatalf("invocation on a node that died: %v, %+v", a.err, a.r)
		}
		t.Logf("the caller heard of node %d's death after %v", running+1, time.Since(killed).Round(time.Millisecond))
	case <-time.After(20 * time.Second):
		t.Fatalf("no answer 20 s after node %d, running the invocation, died", running+1)
	}
}

// holder returns the index of the one node that holds environments of the
// function, failing when none or several do.
func holder(t *testing.T, nodes []*hearth, function string) int {
	t.Helper()
	at := -1
	for i, h := range nodes {
		if envs := h.environments(t, function); len(envs) > 0 {
			if at >= 0 || len(envs) > 1 {
				t.Fatalf("environments of %s on node %d and node %d (%d here)", function, at+1, i+1, len(envs))
			}
			at = i
		}
	}
	if at < 0 {
		t.Fatalf("no node holds an environment of %s", function)
	}
	return at
}

// provisionedOn counts the provisioned environments of a function on
// each node (-1 for a node that is down).
func provisionedOn(t *testing.T, nodes []*hearth, function string, down int) []int {
	t.Helper()
	out := make([]int, len(nodes))
	for i, h := range nodes {
		if i == down {
			out[i] = -1
			continue
		}
		for _, e := range h.environments(t, function) {
			if e.Provisioned {
				out[i]++
			}
		}
	}
	return out
}

// TestClusterProvisionedSpread puts provisioned concurrency 4 on a
// version of a three-node cluster: the nodes share the environments
// (2+1+1 in some order), every node reports the configuration READY with
// all 4 available, and when a node dies the other two take over its
// share.
func TestClusterProvisionedSpread(t *testing.T) {
	nodes := startCluster(t, 3)
	c1 := nodes[0].client()
	pyFunction(t, c1, "cl-prov", versionSrc(1))
	if _, err := c1.PublishVersion(context.Background(), &lambda.PublishVersionInput{FunctionName: aws.String("cl-prov")}); err != nil {
		t.Fatal(err)
	}
	for _, h := range nodes {
		waitFor(t, "every node sees every node", func() bool { return len(clusterMembers(t, h)) == 3 })
	}
	putProvisioned(t, nodes[1].client(), "cl-prov", "1", 4)
	for i, h := range nodes {
		out := waitProvisioned(t, h.client(), "cl-prov", "1", types.ProvisionedConcurrencyStatusEnumReady)
		if aws.ToInt32(out.AvailableProvisionedConcurrentExecutions) != 4 || aws.ToInt32(out.AllocatedProvisionedConcurrentExecutions) != 4 {
			t.Fatalf("node %d reports %d available, %d allocated", i+1,
				aws.ToInt32(out.AvailableProvisionedConcurrentExecutions), aws.ToInt32(out.AllocatedProvisionedConcurrentExecutions))
		}
	}
	split := provisionedOn(t, nodes, "cl-prov", -1)
	sorted := append([]int(nil), split...)
	slices.Sort(sorted)
	if !slices.Equal(sorted, []int{1, 1, 2}) {
		t.Fatalf("provisioned environments per node: %v, want 2+1+1", split)
	}
	nodes[2].kill9()
	deadline := time.Now().Add(45 * time.Second) // 10 s until node 3 counts as gone, then Init
	for split = provisionedOn(t, nodes, "cl-prov", 2); split[0] != 2 || split[1] != 2; split = provisionedOn(t, nodes, "cl-prov", 2) {
		if time.Now().After(deadline) {
			t.Fatalf("after node 3 died, provisioned environments per node: %v, want 2+2", split)
		}
		time.Sleep(200 * time.Millisecond)
	}
	out := waitProvisioned(t, c1, "cl-prov", "1", types.ProvisionedConcurrencyStatusEnumReady)
	if aws.ToInt32(out.AvailableProvisionedConcurrentExecutions) != 4 {
		t.Fatalf("after the rebalance node 1 reports %d available", aws.ToInt32(out.AvailableProvisionedConcurrentExecutions))
	}
}
