package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// streamWith returns the content of the function's log stream that holds
// needle.
func (h *hearth) streamWith(t *testing.T, function, needle string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(h.dataDir, "logs", function, "*.log")) // stream files only
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), needle) {
			return string(b)
		}
	}
	t.Fatalf("no stream of %s holds %q", function, needle)
	return ""
}

// updateAndDrain changes the function's configuration and waits until the
// processes of its old environments are gone and their streams closed.
func updateAndDrain(t *testing.T, h *hearth, c *lambda.Client, name string, env map[string]string) {
	t.Helper()
	old := h.environments(t, name)
	_, err := c.UpdateFunctionConfiguration(context.Background(), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(name), Environment: &types.Environment{Variables: env}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "old environments of "+name+" retired", func() bool { return len(h.environments(t, name)) == 0 })
	for _, e := range old {
		waitFor(t, "old process gone", func() bool { _, err := os.Stat("/proc/" + itoa(e.Pid)); return err != nil })
		// The cgroup goes after the process, and the stream is closed
		// (flushed) right after the cgroup.
		waitFor(t, "old cgroup gone", func() bool { return !cgroupExists(e.ID) })
	}
	time.Sleep(200 * time.Millisecond)
}

// waitStream waits until the stream of function that holds needle also
// holds want, and returns it.
func (h *hearth) waitStream(t *testing.T, function, needle, want string) string {
	t.Helper()
	var log string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if log = h.streamWith(t, function, needle); strings.Contains(log, want) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return log
}

// TestUpdateStopsCleanly: updating a warm function stops its environment
// without a word from the runtime: the old stream ends with the function's
// own lines and the last END and REPORT, no runtime-client error after.
func TestUpdateStopsCleanly(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	for _, rc := range runtimeCases {
		t.Run(rc.name, func(t *testing.T) {
			name := "clean-" + rc.name
			createFunction(t, c, name, rc)
			var id string
			for range 2 {
				r := invoke(t, c, name, map[string]any{"action": "log"})
				id, _ = r.Payload["requestId"].(string)
				if r.FunctionError != "" || id == "" {
					t.Fatalf("invoke: %q %s", r.FunctionError, r.Raw)
				}
			}
			waitFrozen(t, h, name)
			updateAndDrain(t, h, c, name, map[string]string{"REV": "2"})
			log := h.streamWith(t, name, id)
			last := "REPORT RequestId: " + id
			i := strings.LastIndex(log, last)
			if i < 0 {
				t.Fatalf("no REPORT of %s:\n%s", id, log)
			}
			if after := log[i+strings.IndexByte(log[i:], '\n')+1:]; after != "" {
				t.Errorf("the old stream goes on after the last REPORT:\n%q\nwhole stream:\n%s", after, log)
			}
		})
	}
}

// TestGoSIGTERMHandler: aws-lambda-go's lambda.WithEnableSIGTERM registers
// an internal extension, so the runtime gets SIGTERM before SIGKILL and
// its handler runs when the environment stops.
func TestGoSIGTERMHandler(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	createFunction(t, c, "sigterm", runtimeCases[0], func(in *lambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"GOFN_SIGTERM": "1"}}
	})
	r := invoke(t, c, "sigterm", map[string]any{})
	id, _ := r.Payload["requestId"].(string)
	if r.FunctionError != "" || id == "" {
		t.Fatalf("invoke: %q %s", r.FunctionError, r.Raw)
	}
	updateAndDrain(t, h, c, "sigterm", map[string]string{"GOFN_SIGTERM": "1", "REV": "2"})
	log := h.waitStream(t, "sigterm", id, "gofn: SIGTERM handler ran")
	if strings.Contains(log, "Failed to register") || strings.Contains(log, "WARNING") {
		t.Errorf("the internal extension did not register cleanly:\n%s", log)
	}
	i := strings.Index(log, "REPORT RequestId: "+id)
	if i < 0 || !strings.Contains(log[i:], "gofn: SIGTERM handler ran\n") {
		t.Errorf("the SIGTERM handler did not run after the last invocation:\n%s", log)
	}
}

// extensionScript is an external extension in shell: it registers for
// INVOKE and SHUTDOWN and prints every event it gets.
const extensionScript = `#!/bin/sh
API="http://$AWS_LAMBDA_RUNTIME_API/2020-01-01/extension"
HDRS=$(mktemp)
curl -sS -o /dev/null -D "$HDRS" -X POST "$API/register" -H "Lambda-Extension-Name: printer" \
  -d '{"events":["INVOKE","SHUTDOWN"]}' || exit 1
ID=$(grep -i '^Lambda-Extension-Identifier:' "$HDRS" | tr -d '\r' | cut -d' ' -f2)
while true; do
  EV=$(curl -sS -H "Lambda-Extension-Identifier: $ID" "$API/event/next") || exit 1
  echo "printer got $EV"
  case "$EV" in *SHUTDOWN*) exit 0 ;; esac
done
`

// TestExternalExtension: an extension shipped in a layer's extensions/
// starts with the environment, sees every invocation within it (its line
// comes before the request's END) and gets SHUTDOWN on update.
func TestExternalExtension(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	arn := publishLayer(t, c, "printer", map[string][]byte{"extensions/printer*": []byte(extensionScript)})
	createFunction(t, c, "extended", runtimeCases[0], func(in *lambda.CreateFunctionInput) {
		in.Layers = []string{arn}
	})
	var ids []string
	for range 2 {
		r := invoke(t, c, "extended", map[string]any{})
		id, _ := r.Payload["requestId"].(string)
		if r.FunctionError != "" || id == "" {
			t.Fatalf("invoke: %q %s", r.FunctionError, r.Raw)
		}
		if !strings.Contains(r.Log, `printer got {"eventType":"INVOKE"`) || !strings.Contains(r.Log, id+`","invokedFunctionArn"`) {
			t.Errorf("the extension's INVOKE line is not in the request's log:\n%s", r.Log)
		}
		ids = append(ids, id)
	}
	updateAndDrain(t, h, c, "extended", map[string]string{"REV": "2"})
	log := h.waitStream(t, "extended", ids[0], `"eventType":"SHUTDOWN"`)
	for _, id := range ids {
		ev := strings.Index(log, `"requestId":"`+id+`"`)
		end := strings.Index(log, "END RequestId: "+id)
		if ev < 0 || end < ev {
			t.Errorf("INVOKE of %s not before its END:\n%s", id, log)
		}
	}
	if i := strings.Index(log, "REPORT RequestId: "+ids[1]); i < 0 ||
		!strings.Contains(log[i:], `printer got {"eventType":"SHUTDOWN","shutdownReason":"spindown"`) {
		t.Errorf("no SHUTDOWN after the last invocation:\n%s", log)
	}
}
