package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/hearth-run/hearth/internal/testenv"
)

// startCluster runs n Hearth nodes of one cluster on loopback ports, each
// with its own data dir and embedded NATS server, extra flags added to
// each. The nodes start together: a new cluster waits for most of them.
func startCluster(t *testing.T, n int, extra ...string) []*hearth {
	t.Helper()
	return startClusterEach(t, n, func(int) []string { return extra })
}

// startClusterEach is startCluster with flags of each node's own: node i
// (from 0) gets extra(i).
func startClusterEach(t *testing.T, n int, extra func(i int) []string) []*hearth {
	t.Helper()
	addrs := distinctAddrs(t, 4*n) // per node: API, NATS client, route; and spare
	routes := make([]string, n)
	for i := range routes {
		routes[i] = "nats://" + addrs[3*i+2]
	}
	nodes := make([]*hearth, n)
	for i := range nodes {
		var others []string
		for j, r := range routes {
			if j != i {
				others = append(others, r)
			}
		}
		args := append([]string{
			"--cluster", "hc", "--node-name", fmt.Sprint("node", i+1),
			"--nats-listen", addrs[3*i+1], "--cluster-listen", strings.TrimPrefix(routes[i], "nats://"),
			"--cluster-routes", strings.Join(others, ","),
			"--network-cidr", fmt.Sprintf("198.18.%d.0/18", 64*i),
		}, extra(i)...)
		nodes[i] = &hearth{t: t, dataDir: t.TempDir(), addr: addrs[3*i], args: args}
	}
	for _, h := range nodes {
		h.launch()
		t.Cleanup(h.stop)
	}
	for _, h := range nodes {
		h.waitListening(2 * time.Minute) // a new cluster first elects its JetStream leader
	}
	return nodes
}

// distinctAddrs returns n free loopback addresses, all different: they are
// held open together before being released.
func distinctAddrs(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		out = append(out, l.Addr().String())
	}
	return out
}

// launch starts hearth without waiting for it.
func (h *hearth) launch() {
	args := append([]string{"serve", "--listen", h.addr, "--data-dir", h.dataDir}, h.args...)
	cmd := exec.Command(hearthBin, args...)
	cmd.Env = append(os.Environ(), "HEARTH_ACCESS_KEY_ID="+testKeyID, "HEARTH_SECRET_ACCESS_KEY="+testSecret)
	cmd.Stdout, cmd.Stderr = &h.out, &h.out
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.cmd = cmd
	h.done = make(chan struct{})
	go func() { cmd.Wait(); close(h.done) }() // owned by h: ends with the process
}

// waitListening waits until a launched hearth accepts connections.
func (h *hearth) waitListening(limit time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", h.addr); err == nil {
			c.Close()
			return
		}
		select {
		case <-h.done:
			h.t.Fatalf("hearth exited at start:\n%s", h.logs())
		case <-time.After(50 * time.Millisecond):
		}
	}
	h.t.Fatalf("hearth did not listen on %s:\n%s", h.addr, h.logs())
}

// versionSrc is a function that answers with its code's version.
func versionSrc(v int) string {
	return fmt.Sprintf("def handler(event, context):\n    return {'code': %d}\n", v)
}

// TestClusterFunctions creates a function through one node, invokes it
// through the others (aws-sdk-go-v2 and boto3), updates it through a
// third and sees the new code everywhere; after kill -9 of a node the
// others still list everything, and the node rejoins.
func TestClusterFunctions(t *testing.T) {
	py := testenv.NeedPython(t, "boto3")
	nodes := startCluster(t, 3)
	ctx := context.Background()
	c1, c2, c3 := nodes[0].client(), nodes[1].client(), nodes[2].client()
	pyFunction(t, c1, "cl-fn", versionSrc(1))
	if r := invoke(t, c2, "cl-fn", map[string]any{}); r.Payload["code"] != 1.0 {
		t.Fatalf("invoke through node 2: %s", r.Raw)
	}
	if out := boto3Invoke(t, py, nodes[2], "cl-fn"); !strings.Contains(out, `"code": 1`) {
		t.Fatalf("boto3 invoke through node 3: %s", out)
	}
	if _, err := c1.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("cl-fn")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("cl-fn"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	zip := zipFiles(t, map[string][]byte{"app.py": []byte(versionSrc(2))})
	if _, err := c3.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("cl-fn"), ZipFile: zip}); err != nil {
		t.Fatal(err)
	}
	for i, c := range []*lambda.Client{c1, c2, c3} {
		r := invoke(t, c, "cl-fn", map[string]any{})
		if r.Payload["code"] != 2.0 || !hasInitDuration(r.Log) {
			t.Fatalf("node %d after the update: %s (a cold start: %v)", i+1, r.Raw, hasInitDuration(r.Log))
		}
		if r := invoke(t, c, "cl-fn", map[string]any{}, "live"); r.Payload["code"] != 1.0 {
			t.Fatalf("node %d, alias live: %s", i+1, r.Raw)
		}
	}
	clusterStatus(t, nodes[1], "node1", "node2", "node3")
	nodes[0].kill9()
	for i, c := range []*lambda.Client{c2, c3} {
		if got := clusterListing(t, c); got != "cl-fn:1:live" {
			t.Fatalf("node %d after node 1 died lists %q", i+2, got)
		}
	}
	pyFunction(t, c2, "cl-fn2", versionSrc(3)) // the survivors still accept writes
	nodes[0].launch()
	nodes[0].waitListening(2 * time.Minute)
	if got := clusterListing(t, c1); got != "cl-fn2:: cl-fn:1:live" {
		t.Fatalf("node 1 after rejoining lists %q", got)
	}
	if r := invoke(t, c1, "cl-fn2", map[string]any{}); r.Payload["code"] != 3.0 {
		t.Fatalf("node 1 after rejoining invokes %s", r.Raw)
	}
}

// clusterListing lists every function as name:versions:aliases.
func clusterListing(t *testing.T, c *lambda.Client) string {
	t.Helper()
	ctx := context.Background()
	fns, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, fn := range fns.Functions {
		name := aws.ToString(fn.FunctionName)
		vs, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: fn.FunctionName})
		if err != nil {
			t.Fatal(err)
		}
		as, err := c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: fn.FunctionName})
		if err != nil {
			t.Fatal(err)
		}
		var versions, aliases []string
		for _, v := range vs.Versions {
			if aws.ToString(v.Version) != "$LATEST" {
				versions = append(versions, aws.ToString(v.Version))
			}
		}
		for _, a := range as.Aliases {
			aliases = append(aliases, aws.ToString(a.Name))
		}
		out = append(out, name+":"+strings.Join(versions, ",")+":"+strings.Join(aliases, ","))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// boto3Invoke invokes a function through h with boto3 and returns the
// payload.
func boto3Invoke(t *testing.T, py string, h *hearth, name string) string {
	t.Helper()
	script := `import os, sys, boto3
c = boto3.client("lambda", endpoint_url=os.environ["HEARTH_ENDPOINT"], region_name="us-east-1")
print(c.invoke(FunctionName=sys.argv[1], Payload=b"{}")["Payload"].read().decode())`
	cmd := exec.Command(py, "-c", script, name)
	cmd.Env = h.awsEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
	return string(out)
}

// clusterStatus runs `hearth cluster status` against h and checks that it
// lists the members and the replicated streams.
func clusterStatus(t *testing.T, h *hearth, members ...string) {
	t.Helper()
	cmd := exec.Command(hearthBin, "cluster", "status", "--endpoint", h.endpoint())
	cmd.Env = h.awsEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("hearth cluster status: %v\n%s", err, out)
	}
	for _, want := range append(members, "KV_hearth-functions", "HEARTH_EVENTS", "scheduler lease held by node") {
		if !strings.Contains(string(out), want) {
			t.Fatalf("hearth cluster status lacks %q:\n%s", want, out)
		}
	}
	t.Logf("hearth cluster status:\n%s", out)
}
