package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// afterResponseBootstrap is a provided.al2023 runtime in shell that posts
// its response, then works 200 ms and prints "after <id>" before it asks
// for the next event.
const afterResponseBootstrap = `#!/bin/sh
API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
while true; do
  HDRS=$(mktemp)
  curl -sS -o /dev/null -D "$HDRS" "$API/invocation/next" || exit 1
  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HDRS" | tr -d '\r' | cut -d' ' -f2)
  rm -f "$HDRS"
  curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" -d "{\"id\":\"$ID\"}"
  sleep 0.2
  echo "after $ID"
done
`

// streamText returns all log streams of a function, concatenated.
func (h *hearth) streamText(t *testing.T, function string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(h.dataDir, "logs", function, "*.log")) // stream files only
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

var reportDuration = regexp.MustCompile(`REPORT RequestId: (\S+)\tDuration: ([0-9.]+) ms`)

// durationOf returns the REPORT Duration of a request in milliseconds, or
// -1 when its REPORT is not written yet.
func durationOf(log, requestID string) float64 {
	for _, m := range reportDuration.FindAllStringSubmatch(log, -1) {
		if m[1] == requestID {
			d, _ := strconv.ParseFloat(m[2], 64)
			return d
		}
	}
	return -1
}

// TestWorkAfterResponse: a runtime that keeps working after posting its
// response answers its caller at once, and the work belongs to the
// invocation it answered: its output comes before that request's END, and
// the REPORT Duration covers it.
func TestWorkAfterResponse(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	rc := runtimeCase{"sh", "provided.al2023", "bootstrap", func(t *testing.T) []byte {
		return zipFiles(t, map[string][]byte{"bootstrap*": []byte(afterResponseBootstrap)})
	}}
	createFunction(t, c, "after", rc)
	for i := 0; i < 2; i++ {
		out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("after"), Payload: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ ID string }
		if err := json.Unmarshal(out.Payload, &body); err != nil || body.ID == "" || out.FunctionError != nil {
			t.Fatalf("invoke %d: %s %v", i, out.Payload, err)
		}
		// The answer is here; the invocation is not over until the
		// runtime's next /next, 200 ms later.
		var log string
		waitFor(t, "REPORT of "+body.ID, func() bool {
			log = h.streamText(t, "after")
			return durationOf(log, body.ID) >= 0
		})
		after := strings.Index(log, "after "+body.ID+"\n")
		end := strings.Index(log, "END RequestId: "+body.ID+"\n")
		start := strings.Index(log, "START RequestId: "+body.ID+" ")
		if start < 0 || after < start || end < after {
			t.Fatalf("invoke %d: want START < after < END for %s:\n%s", i, body.ID, log)
		}
		if d := durationOf(log, body.ID); d < 200 {
			t.Errorf("invoke %d: REPORT Duration %.2f ms does not cover the 200 ms after the response:\n%s", i, d, log)
		}
	}
	// With LogType Tail, the tail holds the work after the response.
	r := invoke(t, c, "after", map[string]any{})
	id, _ := r.Payload["id"].(string)
	if !strings.Contains(r.Log, "after "+id+"\nEND RequestId: "+id) || !strings.Contains(r.Log, "REPORT RequestId: "+id) {
		t.Errorf("tail lacks the work after the response:\n%s", r.Log)
	}
}

// TestCrashAfterResponse: aws-lambda-go reports a panic and exits. The
// environment is retired before another request reaches it, so every
// normal call after a crash gets a fresh environment and succeeds.
func TestCrashAfterResponse(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	createFunction(t, c, "crashy", runtimeCases[0])
	for i := 0; i < 20; i++ {
		crash := i%2 == 0
		r := invoke(t, c, "crashy", map[string]any{"crash": crash})
		if crash {
			if r.FunctionError != "Unhandled" || strings.Contains(string(r.Raw), "Runtime.ExitError") {
				t.Errorf("call %d (crash): %q %s", i, r.FunctionError, r.Raw)
			}
			continue
		}
		if r.FunctionError != "" || r.Payload["requestId"] == nil {
			t.Errorf("call %d (normal): %q %s\n%s", i, r.FunctionError, r.Raw, r.Log)
		}
	}
}

var (
	traceForm  = regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=[01]$`)
	reportNums = regexp.MustCompile(`Duration: ([0-9.]+) ms\tBilled Duration: ([0-9]+) ms\tMemory Size: [0-9]+ MB\tMax Memory Used: ([0-9]+) MB\t(?:Init Duration: ([0-9.]+) ms)?`)
)

// TestReportAndTrace: _X_AMZN_TRACE_ID is always set; a custom runtime's
// cold start bills its Init; Max Memory Used counts an interpreter's whole
// resident memory.
func TestReportAndTrace(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	createFunction(t, c, "details-go", runtimeCases[0])
	r := invoke(t, c, "details-go", map[string]any{"action": "env"})
	env, _ := r.Payload["env"].(map[string]any)
	if tr, _ := env["_X_AMZN_TRACE_ID"].(string); !traceForm.MatchString(tr) {
		t.Errorf("_X_AMZN_TRACE_ID = %q", tr)
	}
	m := reportNums.FindStringSubmatch(r.Log)
	if m == nil || m[4] == "" {
		t.Fatalf("no cold REPORT:\n%s", r.Log)
	}
	d, _ := strconv.ParseFloat(m[1], 64)
	billed, _ := strconv.Atoi(m[2])
	initMs, _ := strconv.ParseFloat(m[4], 64)
	if float64(billed) < d+initMs {
		t.Errorf("Billed Duration %d ms leaves out Init (%.2f + %.2f ms)", billed, d, initMs)
	}

	createFunction(t, c, "details-node", runtimeCases[2])
	r = invoke(t, c, "details-node", map[string]any{})
	m = reportNums.FindStringSubmatch(r.Log)
	if m == nil {
		t.Fatalf("no REPORT:\n%s", r.Log)
	}
	// Node's own resident set is tens of MB; the cgroup alone saw a few.
	if used, _ := strconv.Atoi(m[3]); used < 20 {
		t.Errorf("Max Memory Used %d MB for Node.js", used)
	}
}
