package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// jsonLogsSrc logs through the logging module at two levels and prints.
const jsonLogsSrc = `import logging

def handler(event, context):
    logging.getLogger().info("info %s", "line")
    logging.getLogger().debug("debug line")
    print("plain print")
    return {"requestId": context.aws_request_id}
`

// jsonLogsNodeSrc does the same through console.
const jsonLogsNodeSrc = `exports.handler = async (event, context) => {
  console.log('info %s', 'line');
  console.debug('debug line');
  process.stdout.write('plain print\n');
  return { requestId: context.awsRequestId };
};
`

// TestJSONLogFormat checks Lambda's advanced logging controls: with
// LoggingConfig LogFormat JSON every platform line of the tail is one JSON
// object of the right type for the request, the logging module writes JSON
// records filtered by the application log level, and print stays plain
// text; a Text function keeps the text lines.
func TestJSONLogFormat(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	rc := runtimeCase{"python", "python3.12", "app.handler", func(t *testing.T) []byte {
		return zipFiles(t, map[string][]byte{"app.py": []byte(jsonLogsSrc)})
	}}
	createFunction(t, c, "logs-json", rc, func(in *lambda.CreateFunctionInput) {
		in.LoggingConfig = &types.LoggingConfig{LogFormat: types.LogFormatJson}
	})
	node := runtimeCase{"node", "nodejs20.x", "index.handler", func(t *testing.T) []byte {
		return zipFiles(t, map[string][]byte{"index.js": []byte(jsonLogsNodeSrc)})
	}}
	createFunction(t, c, "logs-json-node", node, func(in *lambda.CreateFunctionInput) {
		in.LoggingConfig = &types.LoggingConfig{LogFormat: types.LogFormatJson}
	})
	createFunction(t, c, "logs-text", rc)

	for _, fn := range []string{"logs-json", "logs-json-node"} {
		for i, cold := range []bool{true, false} {
			r := invoke(t, c, fn, map[string]any{})
			id, _ := r.Payload["requestId"].(string)
			if id == "" {
				t.Fatalf("%s invocation %d: no request id: %s", fn, i, r.Raw)
			}
			kinds := checkJSONTail(t, r.Log, id, cold, fn == "logs-json")
			want := []string{"platform.start", "app:INFO", "print", "platform.runtimeDone", "platform.report"}
			if strings.Join(kinds, " ") != strings.Join(want, " ") {
				t.Errorf("%s invocation %d: lines %v, want %v\n%s", fn, i, kinds, want, r.Log)
			}
		}
	}

	r := invoke(t, c, "logs-text", map[string]any{})
	id, _ := r.Payload["requestId"].(string)
	for _, prefix := range []string{"START RequestId: " + id, "END RequestId: " + id, "REPORT RequestId: " + id} {
		if !strings.Contains(r.Log, prefix) {
			t.Errorf("text log lacks %q:\n%s", prefix, r.Log)
		}
	}
	if strings.Contains(r.Log, `"platform.`) {
		t.Errorf("text function wrote JSON platform lines:\n%s", r.Log)
	}
}

// checkJSONTail parses each line of a JSON-format tail and returns what
// each was: a platform type, "app:<level>" for a logging record or
// "print" for plain text. Python's records name their logger.
func checkJSONTail(t *testing.T, log, id string, cold, python bool) []string {
	t.Helper()
	var kinds []string
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if !strings.HasPrefix(line, "{") {
			if line != "plain print" {
				t.Errorf("unexpected text line %q", line)
			}
			kinds = append(kinds, "print")
			continue
		}
		var l struct {
			Time, Type, Timestamp, Level, Message, Logger, RequestID string
			Record                                                   map[string]any
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if l.Type == "" {
			if l.RequestID != id || l.Message != "info line" || python != (l.Logger == "root") || l.Timestamp == "" {
				t.Errorf("application record %q", line)
			}
			kinds = append(kinds, "app:"+l.Level)
			continue
		}
		if l.Time == "" || l.Record["requestId"] != id {
			t.Errorf("platform line %q: want time and requestId %s", line, id)
		}
		if l.Type == "platform.report" {
			m, _ := l.Record["metrics"].(map[string]any)
			_, init := m["initDurationMs"]
			if l.Record["status"] != "success" || m["durationMs"] == nil || m["billedDurationMs"] == nil ||
				m["memorySizeMB"] != float64(128) || m["maxMemoryUsedMB"] == nil || init != cold {
				t.Errorf("report %q (cold %v)", line, cold)
			}
		}
		kinds = append(kinds, l.Type)
	}
	return kinds
}
