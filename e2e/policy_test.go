package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-run/hearth/internal/testenv"
)

// awsCLI returns a runner of the AWS CLI against h; the runner returns the
// output and whether the command succeeded.
func awsCLI(t *testing.T, h *hearth) func(args ...string) ([]byte, bool) {
	t.Helper()
	testenv.AWSCLI(t)
	return func(args ...string) ([]byte, bool) {
		t.Helper()
		cmd := awsCommand(t, h, args...)
		cmd.Env = h.awsEnv()
		out, err := cmd.CombinedOutput()
		return out, err == nil
	}
}

// TestAWSCLIPermissions manages a function's resource-based policy with
// add-permission, get-policy and remove-permission.
func TestAWSCLIPermissions(t *testing.T) {
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
	if err := os.WriteFile(zipPath, pythonZip(t), 0o644); err != nil {
		t.Fatal(err)
	}
	must("lambda", "create-function", "--function-name", "pol-fn", "--runtime", "python3.12",
		"--handler", "app.handler", "--role", "arn:aws:iam::000000000000:role/x", "--zip-file", "fileb://"+zipPath)

	if out, ok := aws("lambda", "get-policy", "--function-name", "pol-fn"); ok || !strings.Contains(string(out), "ResourceNotFoundException") {
		t.Fatalf("get-policy without a policy: ok=%v\n%s", ok, out)
	}
	var added struct{ Statement string }
	json.Unmarshal(must("lambda", "add-permission", "--function-name", "pol-fn", "--statement-id", "url",
		"--action", "lambda:InvokeFunctionUrl", "--principal", "*", "--function-url-auth-type", "NONE"), &added)
	var st map[string]any
	if err := json.Unmarshal([]byte(added.Statement), &st); err != nil {
		t.Fatalf("add-permission Statement %q: %v", added.Statement, err)
	}
	cond, _ := st["Condition"].(map[string]any)
	if st["Sid"] != "url" || st["Effect"] != "Allow" || st["Principal"] != "*" || st["Action"] != "lambda:InvokeFunctionUrl" ||
		st["Resource"] != "arn:aws:lambda:us-east-1:000000000000:function:pol-fn" ||
		cond["StringEquals"].(map[string]any)["lambda:FunctionUrlAuthType"] != "NONE" {
		t.Fatalf("statement %v", st)
	}
	must("lambda", "add-permission", "--function-name", "pol-fn", "--statement-id", "events",
		"--action", "lambda:InvokeFunction", "--principal", "events.amazonaws.com",
		"--source-arn", "arn:aws:events:us-east-1:000000000000:rule/r")
	if out, ok := aws("lambda", "add-permission", "--function-name", "pol-fn", "--statement-id", "url",
		"--action", "lambda:InvokeFunction", "--principal", "*"); ok || !strings.Contains(string(out), "ResourceConflictException") {
		t.Fatalf("duplicate sid: ok=%v\n%s", ok, out)
	}

	var got struct{ Policy, RevisionId string }
	json.Unmarshal(must("lambda", "get-policy", "--function-name", "pol-fn"), &got)
	var doc struct {
		Version, Id string
		Statement   []map[string]any
	}
	if err := json.Unmarshal([]byte(got.Policy), &doc); err != nil || got.RevisionId == "" {
		t.Fatalf("get-policy: %v %+v", err, got)
	}
	if doc.Version != "2012-10-17" || doc.Id != "default" || len(doc.Statement) != 2 {
		t.Fatalf("policy %s", got.Policy)
	}
	ev := doc.Statement[1]
	if ev["Principal"].(map[string]any)["Service"] != "events.amazonaws.com" ||
		ev["Condition"].(map[string]any)["ArnLike"].(map[string]any)["AWS:SourceArn"] != "arn:aws:events:us-east-1:000000000000:rule/r" {
		t.Fatalf("events statement %v", ev)
	}

	if out, ok := aws("lambda", "remove-permission", "--function-name", "pol-fn", "--statement-id", "events",
		"--revision-id", "00000000-0000-0000-0000-000000000000"); ok || !strings.Contains(string(out), "PreconditionFailedException") {
		t.Fatalf("stale revision: ok=%v\n%s", ok, out)
	}
	must("lambda", "remove-permission", "--function-name", "pol-fn", "--statement-id", "events", "--revision-id", got.RevisionId)
	if out, ok := aws("lambda", "remove-permission", "--function-name", "pol-fn", "--statement-id", "events"); ok || !strings.Contains(string(out), "ResourceNotFoundException") {
		t.Fatalf("removing a removed statement: ok=%v\n%s", ok, out)
	}
	json.Unmarshal(must("lambda", "get-policy", "--function-name", "pol-fn"), &got)
	if strings.Contains(got.Policy, "events") || !strings.Contains(got.Policy, `"Sid":"url"`) {
		t.Fatalf("policy after remove: %s", got.Policy)
	}
	// A policy belongs to its qualifier: an alias has its own.
	must("lambda", "create-alias", "--function-name", "pol-fn", "--name", "live", "--function-version", "$LATEST")
	if out, ok := aws("lambda", "get-policy", "--function-name", "pol-fn", "--qualifier", "live"); ok || !strings.Contains(string(out), "ResourceNotFoundException") {
		t.Fatalf("alias policy before add: ok=%v\n%s", ok, out)
	}
	must("lambda", "add-permission", "--function-name", "pol-fn", "--qualifier", "live", "--statement-id", "url",
		"--action", "lambda:InvokeFunctionUrl", "--principal", "*", "--function-url-auth-type", "NONE")
	json.Unmarshal(must("lambda", "get-policy", "--function-name", "pol-fn", "--qualifier", "live"), &got)
	if !strings.Contains(got.Policy, "function:pol-fn:live") {
		t.Fatalf("alias policy %s", got.Policy)
	}
	if out, ok := aws("lambda", "add-permission", "--function-name", "missing", "--statement-id", "s",
		"--action", "lambda:InvokeFunction", "--principal", "*"); ok || !strings.Contains(string(out), "ResourceNotFoundException") {
		t.Fatalf("add-permission on a missing function: ok=%v\n%s", ok, out)
	}
	must("lambda", "delete-function", "--function-name", "pol-fn")
}
