package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestBoundaryRuntimeAPIPrivate is the invocation-theft attack: a function
// long-polls /next on every listening port it can see while another
// function is invoked. Each environment's Runtime API lives in its own
// network namespace, so the attacker sees none but its own and steals
// nothing; the victim's callers all get their own answers.
func TestBoundaryRuntimeAPIPrivate(t *testing.T) {
	requireRoot(t)
	h := startHearth(t, "")
	c := h.client()
	createFunction(t, c, "victim", runtimeCases[0])
	createFunction(t, c, "attacker", runtimeCases[0])
	invoke(t, c, "victim", map[string]any{"action": "echo"}) // a warm environment to attack

	var attack invokeResult
	var attackErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		payload, _ := json.Marshal(map[string]any{"action": "scan", "sleepMs": 2500})
		out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("attacker"), Payload: payload})
		if attackErr = err; err == nil {
			attack.Raw, attack.FunctionError = out.Payload, aws.ToString(out.FunctionError)
			attackErr = json.Unmarshal(out.Payload, &attack.Payload)
		}
	}()
	time.Sleep(700 * time.Millisecond) // the attacker's long polls are parked
	for i := range 5 {
		r := invoke(t, c, "victim", map[string]any{"action": "echo"})
		if r.FunctionError != "" || r.Payload["requestId"] == "" || r.Payload["stream"] == "" {
			t.Errorf("victim call %d did not get its own answer: %s", i, r.Raw)
		}
	}
	wg.Wait()
	if attackErr != nil || attack.FunctionError != "" {
		t.Fatalf("attacker: %v %s", attackErr, attack.Raw)
	}
	if stolen, _ := attack.Payload["stolen"].([]any); len(stolen) > 0 {
		t.Errorf("the attacker received the victim's invocations %v (scanned ports %v)", stolen, attack.Payload["scanned"])
	}
	t.Logf("attacker scanned ports %v", attack.Payload["scanned"])
}

// shellBootstrapZip is a provided.al2023 function whose bootstrap is a
// shell script speaking the Runtime API with curl.
func shellBootstrapZip(t *testing.T) []byte {
	script := `#!/bin/sh
api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation"
while true; do
  id=$(curl -sS -D - -o /dev/null "$api/next" | tr -d '\r' | sed -n 's/^[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: *//p')
  curl -sS -o /dev/null -X POST "$api/$id/response" -d "{\"runtimeApi\":\"$AWS_LAMBDA_RUNTIME_API\"}"
done
`
	return zipFiles(t, map[string][]byte{"bootstrap*": []byte(script)})
}

// TestBoundaryRuntimeAPIAddress: every runtime finds its Runtime API where
// Lambda puts it.
func TestBoundaryRuntimeAPIAddress(t *testing.T) {
	requireRoot(t)
	h := startHearth(t, "")
	c := h.client()
	cases := append([]runtimeCase{}, runtimeCases...)
	cases = append(cases, runtimeCase{"shell", "provided.al2023", "unused", shellBootstrapZip})
	for _, rc := range cases {
		t.Run(rc.name, func(t *testing.T) {
			createFunction(t, c, "api-"+rc.name, rc)
			r := invoke(t, c, "api-"+rc.name, map[string]any{"action": "env"})
			got := r.Payload["runtimeApi"]
			if env, ok := r.Payload["env"].(map[string]any); ok {
				got = env["AWS_LAMBDA_RUNTIME_API"]
			}
			if got != "127.0.0.1:9001" {
				t.Errorf("AWS_LAMBDA_RUNTIME_API = %v, want 127.0.0.1:9001 (%s)", got, r.Raw)
			}
		})
	}
}

// TestBoundaryNetwork: by default a function reaches a server on the host
// through host.hearth.internal, but not the host's loopback; with the
// network "none" it reaches neither.
func TestBoundaryNetwork(t *testing.T) {
	requireRoot(t)
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello from the host")
	})}
	go srv.Serve(ln)
	defer srv.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	target := fmt.Sprintf("host.hearth.internal:%d", port)

	h := startHearth(t, "")
	c := h.client()
	createFunction(t, c, "net-nat", runtimeCases[0])
	createFunction(t, c, "net-none", runtimeCases[0], func(in *lambda.CreateFunctionInput) {
		in.Tags = map[string]string{"hearth:network": "none"}
	})
	if r := invoke(t, c, "net-nat", map[string]any{"action": "get", "addr": target}); r.Payload["body"] != "hello from the host" {
		t.Errorf("nat: GET %s: %s", target, r.Raw)
	}
	if r := invoke(t, c, "net-nat", map[string]any{"action": "dial", "addr": h.addr}); r.Payload["dialErr"] == "<nil>" {
		t.Errorf("nat: the function reached Hearth's API on the host loopback (%s)", h.addr)
	}
	r := invoke(t, c, "net-none", map[string]any{"action": "get", "addr": target})
	if r.FunctionError != "" || r.Payload["getErr"] == "<nil>" || !strings.Contains(fmt.Sprint(r.Payload["getErr"]), "host.hearth.internal") {
		t.Errorf("tag hearth:network=none: GET %s: %s", target, r.Raw)
	}

	// The same with the server's --network none, and the tag nat over it.
	h2 := startHearth(t, "", "--network", "none")
	c2 := h2.client()
	createFunction(t, c2, "srv-none", runtimeCases[0])
	createFunction(t, c2, "srv-nat", runtimeCases[0], func(in *lambda.CreateFunctionInput) {
		in.Tags = map[string]string{"hearth:network": "nat"}
	})
	if r := invoke(t, c2, "srv-none", map[string]any{"action": "get", "addr": target}); r.FunctionError != "" || r.Payload["getErr"] == "<nil>" {
		t.Errorf("--network none: GET %s: %s", target, r.Raw)
	}
	if r := invoke(t, c2, "srv-nat", map[string]any{"action": "get", "addr": target}); r.Payload["body"] != "hello from the host" {
		t.Errorf("--network none, tag nat: GET %s: %s", target, r.Raw)
	}
}

// TestBoundarySeccomp: the environment's seccomp filter denies user
// namespaces, the keyring and mounting, while Go, Python and Node
// functions run as before.
func TestBoundarySeccomp(t *testing.T) {
	requireRoot(t)
	h := startHearth(t, "")
	c := h.client()
	createFunction(t, c, "sc-go", runtimeCases[0])
	createFunction(t, c, "sc-py", runtimeCases[1])
	createFunction(t, c, "sc-node", runtimeCases[2])
	r := invoke(t, c, "sc-go", map[string]any{"action": "syscalls"})
	got, _ := r.Payload["syscalls"].(map[string]any)
	want := map[string]string{
		"unshare": "operation not permitted", "add_key": "operation not permitted",
		"keyctl": "operation not permitted", "mount": "operation not permitted",
		"unshare -Urm mount": "Operation not permitted", "clone3": "function not implemented",
		"seccompMode": "2",
	}
	for k, w := range want {
		if g := fmt.Sprint(got[k]); !strings.Contains(g, w) {
			t.Errorf("%s: got %q, want %q", k, g, w)
		}
	}
	if r := invoke(t, c, "sc-py", map[string]any{"action": "unshare"}); r.Payload["unshareErr"] != float64(1) {
		t.Errorf("python os.unshare(CLONE_NEWUSER): %s, want errno 1 (EPERM)", r.Raw)
	}
	if r := invoke(t, c, "sc-node", map[string]any{"action": "echo"}); r.FunctionError != "" {
		t.Errorf("node under seccomp: %s", r.Raw)
	}
}

// TestBoundaryUIDs: two environments running at once run as different
// unprivileged uids.
func TestBoundaryUIDs(t *testing.T) {
	requireRoot(t)
	h := startHearth(t, "")
	c := h.client()
	names := []string{"uid-a", "uid-b"}
	for _, n := range names {
		createFunction(t, c, n, runtimeCases[0])
	}
	uids := make([]any, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			payload, _ := json.Marshal(map[string]any{"action": "sleep", "sleepMs": 300})
			out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(n), Payload: payload})
			if err != nil {
				t.Errorf("invoke %s: %v", n, err)
				return
			}
			var p map[string]any
			_ = json.Unmarshal(out.Payload, &p)
			uids[i] = p["uid"]
		}()
	}
	wg.Wait()
	a, _ := uids[0].(float64)
	b, _ := uids[1].(float64)
	if a < 100000 || b < 100000 || a == b {
		t.Errorf("uids %v and %v: want two different uids from 100000 up", uids[0], uids[1])
	}
}

// TestBoundaryTmpOnDisk: /tmp is storage sized by EphemeralStorage, not
// memory: a 128 MB function writes 300 MB to it; writing past 512 MB
// fails inside the function only, and the next invocation works.
func TestBoundaryTmpOnDisk(t *testing.T) {
	requireRoot(t)
	h := startHearth(t, "")
	c := h.client()
	createFunction(t, c, "tmpdisk", runtimeCases[0], func(in *lambda.CreateFunctionInput) {
		in.MemorySize = aws.Int32(128)
		in.Timeout = aws.Int32(60)
	})
	r := invoke(t, c, "tmpdisk", map[string]any{"action": "fill", "mb": 300})
	if r.FunctionError != "" || r.Payload["fillErr"] != "<nil>" || r.Payload["written"] != float64(300<<20) {
		t.Fatalf("a 128 MB function writing 300 MB to /tmp: %s", r.Raw)
	}
	r = invoke(t, c, "tmpdisk", map[string]any{"action": "fill", "mb": 600})
	written, _ := r.Payload["written"].(float64)
	if r.FunctionError != "" || !strings.Contains(fmt.Sprint(r.Payload["fillErr"]), "no space left") || written > 512<<20 || written < 400<<20 {
		t.Errorf("writing past EphemeralStorage: %s", r.Raw)
	}
	if r := invoke(t, c, "tmpdisk", map[string]any{"action": "fill", "mb": 10}); r.FunctionError != "" || r.Payload["fillErr"] != "<nil>" {
		t.Errorf("the invocation after a full /tmp: %s", r.Raw)
	}
}
