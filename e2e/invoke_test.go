package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hearth-run/hearth/internal/testenv"
)

// TestRuntimes runs the same behaviours on each runtime: data, errors,
// logs, a timeout and a crash.
func TestRuntimes(t *testing.T) {
	// Managed runtimes run on the host's interpreters: say so plainly
	// when one is missing rather than fail on an invocation.
	testenv.NeedCommand(t, "python3")
	testenv.NeedCommand(t, "node")
	h := startHearth(t, "")
	c := h.client()
	for _, rc := range runtimeCases {
		t.Run(rc.name, func(t *testing.T) {
			name := "rt-" + rc.name
			createFunction(t, c, name, rc, func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(2) })

			r := invoke(t, c, name, map[string]any{"action": "log"})
			if r.FunctionError != "" {
				t.Fatalf("log action failed: %s %s\n%s", r.FunctionError, r.Raw, h.logs())
			}
			if r.Payload["stream"] == "" || r.Payload["requestId"] == "" {
				t.Errorf("payload lacks context: %s", r.Raw)
			}
			if !strings.Contains(r.Payload["arn"].(string), ":function:"+name) {
				t.Errorf("invoked ARN %v", r.Payload["arn"])
			}
			if rem, _ := r.Payload["remaining"].(float64); rem <= 0 || rem > 2000 {
				t.Errorf("remaining time %v, want within the 2 s timeout", r.Payload["remaining"])
			}
			if !strings.Contains(r.Log, "hello from "+rc.name) {
				t.Errorf("log tail lacks the function's output:\n%s", r.Log)
			}
			for _, want := range []string{"START RequestId: ", "Version: $LATEST", "END RequestId: ", "REPORT RequestId: ",
				"Duration: ", "Billed Duration: ", "Memory Size: 128 MB", "Max Memory Used: ", "Init Duration: "} {
				if !strings.Contains(r.Log, want) {
					t.Errorf("log tail lacks %q:\n%s", want, r.Log)
				}
			}

			r = invoke(t, c, name, map[string]any{"action": "error"})
			if r.FunctionError != "Unhandled" {
				t.Errorf("error action: FunctionError %q", r.FunctionError)
			}
			var fe struct {
				ErrorType    string `json:"errorType"`
				ErrorMessage string `json:"errorMessage"`
			}
			json.Unmarshal(r.Raw, &fe)
			wantType := map[string]string{"go": "errorString", "python": "CustomError", "node": "TypeError"}[rc.name]
			if fe.ErrorType != wantType || fe.ErrorMessage == "" {
				t.Errorf("error payload %s, want errorType %s", r.Raw, wantType)
			}
			if hasInitDuration(r.Log) {
				t.Errorf("second invocation was cold:\n%s", r.Log)
			}

			r = invoke(t, c, name, map[string]any{"action": "sleep", "sleepMs": 4000})
			json.Unmarshal(r.Raw, &fe)
			if r.FunctionError != "Unhandled" || fe.ErrorType != "Sandbox.Timedout" || !strings.Contains(fe.ErrorMessage, "Task timed out after 2.00 seconds") {
				t.Errorf("timeout: %q %s", r.FunctionError, r.Raw)
			}
			if !strings.Contains(r.Log, "Task timed out after 2.00 seconds") {
				t.Errorf("timeout not in the log:\n%s", r.Log)
			}
			r = invoke(t, c, name, map[string]any{"action": "echo"})
			if r.FunctionError != "" || !hasInitDuration(r.Log) {
				t.Errorf("after a timeout the next invocation must be a cold start in a fresh environment:\n%s", r.Log)
			}

			r = invoke(t, c, name, map[string]any{"action": "exit"})
			json.Unmarshal(r.Raw, &fe)
			if r.FunctionError != "Unhandled" || fe.ErrorType != "Runtime.ExitError" || !strings.Contains(fe.ErrorMessage, "Runtime exited with error: exit status") {
				t.Errorf("exit: %q %s", r.FunctionError, r.Raw)
			}
			r = invoke(t, c, name, map[string]any{"action": "echo"})
			if r.FunctionError != "" || !hasInitDuration(r.Log) {
				t.Errorf("after a crash the next invocation must be cold:\n%s", r.Log)
			}
		})
	}
}

// streamOf returns the log stream an invocation ran in.
func streamOf(r invokeResult) string { s, _ := r.Payload["stream"].(string); return s }

// TestSeedPatterns checks the invocation patterns of the seed document
// through Lambda's own signals: REPORT lines and log stream names.
func TestSeedPatterns(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	gofn := runtimeCases[0]

	t.Run("six concurrent invocations start six environments", func(t *testing.T) {
		createFunction(t, c, "seed-concurrent", gofn)
		results := make([]invokeResult, 6)
		var wg sync.WaitGroup
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = invoke(t, c, "seed-concurrent", map[string]any{"action": "sleep", "sleepMs": 500})
			}()
		}
		wg.Wait()
		streams := map[string]bool{}
		for _, r := range results {
			if r.FunctionError != "" || !hasInitDuration(r.Log) {
				t.Errorf("want a successful cold start, got %q:\n%s", r.FunctionError, r.Log)
			}
			streams[streamOf(r)] = true
		}
		if len(streams) != 6 {
			t.Errorf("%d environments, want 6", len(streams))
		}
	})

	t.Run("six sequential invocations reuse one environment", func(t *testing.T) {
		createFunction(t, c, "seed-sequential", gofn)
		streams := map[string]bool{}
		cold := 0
		for i := 0; i < 6; i++ {
			r := invoke(t, c, "seed-sequential", map[string]any{"action": "echo"})
			streams[streamOf(r)] = true
			if hasInitDuration(r.Log) {
				cold++
			}
		}
		if len(streams) != 1 || cold != 1 {
			t.Errorf("%d environments and %d cold starts, want 1 and 1", len(streams), cold)
		}
	})

	t.Run("a code update makes the next start cold and retires the old environment", func(t *testing.T) {
		createFunction(t, c, "seed-update", runtimeCases[1])
		first := invoke(t, c, "seed-update", map[string]any{"action": "echo"})
		oldPid := first.Payload["pid"]
		zip := zipFiles(t, map[string][]byte{"app.py": []byte("import os\ndef handler(e, c):\n    return {'v': 2, 'stream': os.environ['AWS_LAMBDA_LOG_STREAM_NAME']}\n")})
		if _, err := c.UpdateFunctionCode(context.Background(), &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("seed-update"), ZipFile: zip}); err != nil {
			t.Fatal(err)
		}
		r := invoke(t, c, "seed-update", map[string]any{})
		if r.Payload["v"] != float64(2) || !hasInitDuration(r.Log) || streamOf(r) == streamOf(first) {
			t.Errorf("after update: %s\n%s", r.Raw, r.Log)
		}
		if envs := h.environments(t, "seed-update"); len(envs) != 1 {
			t.Errorf("environments after update: %v (old pid %v), want only the new one", envs, oldPid)
		}
		// A configuration update too.
		if _, err := c.UpdateFunctionConfiguration(context.Background(), &lambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String("seed-update"), Environment: &types.Environment{Variables: map[string]string{"XY": "1"}}}); err != nil {
			t.Fatal(err)
		}
		if r := invoke(t, c, "seed-update", map[string]any{}); !hasInitDuration(r.Log) {
			t.Errorf("after a configuration update the start must be cold:\n%s", r.Log)
		}
	})

	t.Run("an idle environment is frozen and answers when thawed", func(t *testing.T) {
		createFunction(t, c, "seed-freeze", gofn)
		first := invoke(t, c, "seed-freeze", map[string]any{"action": "echo"})
		envs := waitFrozen(t, h, "seed-freeze")
		if len(envs) != 1 {
			t.Fatalf("environments: %v", envs)
		}
		if !processFrozen(t, envs[0]) {
			t.Fatalf("environment %s reported frozen but its processes run", envs[0].ID)
		}
		r := invoke(t, c, "seed-freeze", map[string]any{"action": "echo"})
		if r.FunctionError != "" || streamOf(r) != streamOf(first) || hasInitDuration(r.Log) {
			t.Fatalf("thawed environment did not answer warm: %s\n%s", r.Raw, r.Log)
		}
	})
}

// TestKeepAlive checks that an environment idle past --idle-timeout is shut
// down and the next invocation is cold.
func TestKeepAlive(t *testing.T) {
	h := startHearth(t, "", "--idle-timeout", "500ms")
	c := h.client()
	createFunction(t, c, "keepalive", runtimeCases[0])
	first := invoke(t, c, "keepalive", map[string]any{"action": "echo"})
	waitFor(t, "idle environment shut down", func() bool { return len(h.environments(t, "keepalive")) == 0 })
	r := invoke(t, c, "keepalive", map[string]any{"action": "echo"})
	if !hasInitDuration(r.Log) || streamOf(r) == streamOf(first) {
		t.Fatalf("after the keep-alive period the invocation must be cold in a new environment:\n%s", r.Log)
	}
}

func TestInvokeAPI(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	createFunction(t, c, "api-fn", runtimeCases[1])
	ctx := context.Background()
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("api-fn"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || out.StatusCode != 204 {
		t.Fatalf("DryRun: %v %v", out, err)
	}
	// Client context reaches the function; the full ARN works as a name.
	cc := `{"custom":{"k":"v"}}`
	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:000000000000:function:api-fn"),
		Payload: []byte(`{"action":"echo"}`), ClientContext: aws.String(b64(cc))})
	if err != nil || out.StatusCode != 200 || aws.ToString(out.ExecutedVersion) != "$LATEST" {
		t.Fatalf("invoke by ARN: %v %v", out, err)
	}
	// Payload limits.
	big := []byte(fmt.Sprintf(`{"pad":"%s"}`, strings.Repeat("x", 6*1024*1024)))
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("api-fn"), Payload: big})
	if apiCode(err) != "RequestTooLargeException" {
		t.Fatalf("6 MB payload: %v", err)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("api-fn"), Payload: []byte(`{not json`)})
	if apiCode(err) != "InvalidRequestContentException" {
		t.Fatalf("malformed payload: %v", err)
	}
}

// TestMetrics reads the Prometheus exposition, signed on the API and
// unauthenticated on --metrics-listen, after a cold and a warm invocation.
func TestMetrics(t *testing.T) {
	metricsAddr := freeAddr(t)
	h := startHearth(t, "", "--metrics-listen", metricsAddr)
	c := h.client()
	createFunction(t, c, "metered", runtimeCases[0])
	invoke(t, c, "metered", map[string]any{"action": "echo"})
	invoke(t, c, "metered", map[string]any{"action": "echo"})
	waitFrozen(t, h, "metered")
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`hearth_invocations_total{function="metered",qualifier="$LATEST"} 2`,
		`hearth_cold_starts_total{function="metered",qualifier="$LATEST",reason="first-invocation"} 1`,
		`hearth_async_queue_depth 0`,
		`hearth_environments{state="Frozen"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	if status, _, _ := signedRequest(t, h, "GET", "/hearth/metrics", nil, testKeyID, testSecret, time.Now()); status != 200 {
		t.Errorf("signed /hearth/metrics: %d", status)
	}
}

// TestInvalidEntrypoint invokes a provided.al2023 function whose zip has
// no bootstrap: Lambda's Runtime.InvalidEntrypoint, as a function error.
func TestInvalidEntrypoint(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	rc := runtimeCase{"go", "provided.al2023", "bootstrap", func(t *testing.T) []byte {
		return zipFiles(t, map[string][]byte{"main.sh": []byte("#!/bin/sh\n")})
	}}
	createFunction(t, c, "no-bootstrap", rc)
	r := invoke(t, c, "no-bootstrap", map[string]any{})
	var fe struct{ ErrorType, ErrorMessage string }
	json.Unmarshal(r.Raw, &fe)
	if r.FunctionError != "Unhandled" || fe.ErrorType != "Runtime.InvalidEntrypoint" {
		t.Fatalf("missing bootstrap: %q %s", r.FunctionError, r.Raw)
	}
}

// TestMostRecentlyUsedFirst: with two idle environments, a request goes to
// the one released last, and keeps going there while it is free.
func TestMostRecentlyUsedFirst(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	createFunction(t, c, "mru", runtimeCases[0])
	var wg sync.WaitGroup
	var short, long invokeResult
	wg.Add(2)
	go func() {
		defer wg.Done()
		short = invoke(t, c, "mru", map[string]any{"action": "sleep", "sleepMs": 100})
	}()
	go func() { defer wg.Done(); long = invoke(t, c, "mru", map[string]any{"action": "sleep", "sleepMs": 600}) }()
	wg.Wait()
	if streamOf(short) == streamOf(long) {
		t.Fatalf("two concurrent invocations shared an environment: %s", streamOf(short))
	}
	for i := 0; i < 3; i++ {
		if r := invoke(t, c, "mru", map[string]any{"action": "echo"}); streamOf(r) != streamOf(long) {
			t.Fatalf("invocation %d ran in %s, want the most recently used %s", i, streamOf(r), streamOf(long))
		}
	}
}
