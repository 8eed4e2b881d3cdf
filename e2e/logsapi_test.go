package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const logsApp = `def handler(event, context):
    print("alpha ERROR disk full")
    print("beta WARN slow disk")
    print("gamma INFO all good")
    return {"ok": True}
`

// TestAWSCLILogs reads a function's logs with the AWS CLI's logs commands.
func TestAWSCLILogs(t *testing.T) {
	h := startHearth(t, "")
	aws := awsCLI(t, h)
	must := func(args ...string) []byte {
		t.Helper()
		out, ok := aws(args...)
		if !ok {
			t.Fatalf("aws %v:\n%s", args, out)
		}
		return out
	}
	zipPath := filepath.Join(t.TempDir(), "fn.zip")
	if err := os.WriteFile(zipPath, zipFiles(t, map[string][]byte{"app.py": []byte(logsApp)}), 0o644); err != nil {
		t.Fatal(err)
	}
	// The host's exact Python: a fallback's WARNING line would match ?WARN.
	_, _, python := hostPython(t)
	must("lambda", "create-function", "--function-name", "logfn", "--runtime", python,
		"--handler", "app.handler", "--role", "arn:aws:iam::000000000000:role/x", "--zip-file", "fileb://"+zipPath)
	invoke(t, h.client(), "logfn", map[string]any{})
	invoke(t, h.client(), "logfn", map[string]any{})

	group := "/aws/lambda/logfn"
	var groups struct{ LogGroups []map[string]any }
	json.Unmarshal(must("logs", "describe-log-groups", "--log-group-name-prefix", "/aws/lambda/"), &groups)
	if len(groups.LogGroups) != 1 || groups.LogGroups[0]["logGroupName"] != group {
		t.Fatalf("describe-log-groups: %+v", groups)
	}
	var streams struct{ LogStreams []map[string]any }
	json.Unmarshal(must("logs", "describe-log-streams", "--log-group-name", group), &streams)
	if len(streams.LogStreams) != 1 {
		t.Fatalf("describe-log-streams: %+v", streams)
	}
	stream, _ := streams.LogStreams[0]["logStreamName"].(string)
	if !strings.Contains(stream, "[$LATEST]") || streams.LogStreams[0]["lastEventTimestamp"] == nil {
		t.Fatalf("stream %+v", streams.LogStreams[0])
	}

	var got struct {
		Events []struct {
			Message   string
			Timestamp int64
		}
		NextForwardToken, NextBackwardToken string
	}
	json.Unmarshal(must("logs", "get-log-events", "--log-group-name", group, "--log-stream-name", stream, "--start-from-head"), &got)
	var text strings.Builder
	for _, e := range got.Events {
		if e.Timestamp == 0 {
			t.Fatalf("event without a timestamp: %+v", e)
		}
		text.WriteString(e.Message)
	}
	if strings.Count(text.String(), "alpha ERROR disk full\n") != 2 || strings.Count(text.String(), "START RequestId: ") != 2 ||
		strings.Count(text.String(), "REPORT RequestId: ") != 2 {
		t.Fatalf("get-log-events:\n%s", text.String())
	}
	json.Unmarshal(must("logs", "get-log-events", "--log-group-name", group, "--log-stream-name", stream, "--limit", "2"), &got)
	if len(got.Events) != 2 || !strings.HasPrefix(got.Events[1].Message, "REPORT RequestId: ") {
		t.Fatalf("last two events: %+v", got.Events)
	}
	json.Unmarshal(must("logs", "get-log-events", "--log-group-name", group, "--log-stream-name", stream,
		"--limit", "2", "--next-token", got.NextBackwardToken), &got)
	if len(got.Events) != 2 || got.Events[0].Message != "beta WARN slow disk\n" || got.Events[1].Message != "gamma INFO all good\n" {
		t.Fatalf("the page before: %+v", got.Events)
	}

	filter := func(pattern string, extra ...string) []string {
		t.Helper()
		var out struct {
			Events []struct{ Message, LogStreamName string }
		}
		json.Unmarshal(must(append([]string{"logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", pattern}, extra...)...), &out)
		var msgs []string
		for _, e := range out.Events {
			if e.LogStreamName != stream {
				t.Fatalf("event from stream %q", e.LogStreamName)
			}
			msgs = append(msgs, strings.Fields(e.Message)[0])
		}
		return msgs
	}
	cases := []struct{ pattern, want string }{
		{"ERROR", "alpha alpha"},
		{"disk -ERROR", "beta beta"},
		{"?ERROR ?WARN", "alpha beta alpha beta"},
		{`"all good"`, "gamma gamma"},
		{"nothing-matches-this", ""},
	}
	for _, c := range cases {
		if got := strings.Join(filter(c.pattern), " "); got != c.want {
			t.Errorf("filter %q: %q, want %q", c.pattern, got, c.want)
		}
	}
	if got := filter("ERROR", "--log-stream-names", stream, "--start-time", "1", "--end-time", "2"); len(got) != 0 {
		t.Errorf("filter in a time range without events: %v", got)
	}
	if out, ok := aws("logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", `{ $.level = "ERROR" }`); ok ||
		!strings.Contains(string(out), "InvalidParameterException") {
		t.Errorf("JSON filter pattern: ok=%v %s", ok, out)
	}

	must("logs", "put-retention-policy", "--log-group-name", group, "--retention-in-days", "7")
	json.Unmarshal(must("logs", "describe-log-groups"), &groups)
	if groups.LogGroups[0]["retentionInDays"] != float64(7) {
		t.Fatalf("retention: %+v", groups.LogGroups[0])
	}
	must("logs", "delete-retention-policy", "--log-group-name", group)
	// Deleting the function keeps its log group, as Lambda does.
	must("lambda", "delete-function", "--function-name", "logfn")
	json.Unmarshal(must("logs", "describe-log-streams", "--log-group-name", group), &streams)
	if len(streams.LogStreams) != 1 {
		t.Fatalf("streams after deleting the function: %+v", streams)
	}
	must("logs", "delete-log-group", "--log-group-name", group)
	if out, ok := aws("logs", "describe-log-streams", "--log-group-name", group); ok || !strings.Contains(string(out), "ResourceNotFoundException") {
		t.Fatalf("describe-log-streams after delete-log-group: ok=%v %s", ok, out)
	}
}
