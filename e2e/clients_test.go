package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-run/hearth/internal/testenv"
)

// TestAWSCLI drives Hearth with the installed AWS CLI, as a user would.
func TestAWSCLI(t *testing.T) {
	testenv.AWSCLI(t)
	h := startHearth(t, "")
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "fn.zip")
	if err := os.WriteFile(zipPath, pythonZip(t), 0o644); err != nil {
		t.Fatal(err)
	}
	aws := func(args ...string) []byte {
		t.Helper()
		cmd := awsCommand(t, h, args...)
		cmd.Env = h.awsEnv()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, out)
		}
		return out
	}
	var created map[string]any
	json.Unmarshal(aws("lambda", "create-function", "--function-name", "cli-fn", "--runtime", "python3.12",
		"--handler", "app.handler", "--role", "arn:aws:iam::000000000000:role/x", "--zip-file", "fileb://"+zipPath), &created)
	if created["FunctionName"] != "cli-fn" || created["State"] != "Active" {
		t.Fatalf("create-function answered %v", created)
	}
	var listed struct{ Functions []map[string]any }
	json.Unmarshal(aws("lambda", "list-functions"), &listed)
	if len(listed.Functions) != 1 {
		t.Fatalf("list-functions: %v", listed)
	}
	outFile := filepath.Join(dir, "out.json")
	var inv map[string]any
	json.Unmarshal(aws("lambda", "invoke", "--function-name", "cli-fn",
		"--payload", `{"action":"echo","x":1}`, "--log-type", "Tail", outFile), &inv)
	if inv["StatusCode"] != float64(200) || inv["ExecutedVersion"] != "$LATEST" {
		t.Fatalf("invoke answered %v", inv)
	}
	result, _ := os.ReadFile(outFile)
	if !strings.Contains(string(result), `"x": 1`) && !strings.Contains(string(result), `"x":1`) {
		t.Fatalf("invoke result %s", result)
	}
	aws("lambda", "delete-function", "--function-name", "cli-fn")
}

const boto3Script = `
import io, json, os, sys, zipfile
import boto3
from botocore.exceptions import ClientError

c = boto3.client("lambda", endpoint_url=os.environ["HEARTH_ENDPOINT"], region_name="us-east-1")
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("app.py", "def handler(event, context):\n    return {'sum': event['a'] + event['b']}\n")
c.create_function(FunctionName="boto-fn", Runtime="python3.11", Handler="app.handler",
                  Role="arn:aws:iam::000000000000:role/x", Code={"ZipFile": buf.getvalue()})
cfg = c.get_function_configuration(FunctionName="boto-fn")
assert cfg["Runtime"] == "python3.11", cfg
c.update_function_configuration(FunctionName="boto-fn", Environment={"Variables": {"KEY": "v"}})
r = c.invoke(FunctionName="boto-fn", Payload=json.dumps({"a": 2, "b": 3}))
out = json.loads(r["Payload"].read())
assert out == {"sum": 5}, out
try:
    c.get_function(FunctionName="missing")
    raise SystemExit("no error for a missing function")
except ClientError as e:
    assert e.response["Error"]["Code"] == "ResourceNotFoundException", e.response
c.tag_resource(Resource=cfg["FunctionArn"], Tags={"a": "b"})
assert c.list_tags(Resource=cfg["FunctionArn"])["Tags"] == {"a": "b"}
c.delete_function(FunctionName="boto-fn")
print("boto3 ok")
`

// TestBoto3 drives Hearth with boto3.
func TestBoto3(t *testing.T) {
	py := testenv.NeedPython(t, "boto3")
	h := startHearth(t, "")
	cmd := exec.Command(py, "-c", boto3Script)
	cmd.Env = h.awsEnv()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "boto3 ok") {
		t.Fatalf("boto3 script: %v\n%s", err, out)
	}
}

// TestAWSCLIEvents manages a scheduled rule with `aws events`.
func TestAWSCLIEvents(t *testing.T) {
	testenv.AWSCLI(t)
	h := startHearth(t, "")
	arn := pyFunction(t, h.client(), "cli-target", recorderSrc)
	run := func(wantErr bool, args ...string) string {
		t.Helper()
		cmd := awsCommand(t, h, append([]string{"events"}, args...)...)
		cmd.Env = h.awsEnv()
		out, err := cmd.CombinedOutput()
		if (err != nil) != wantErr {
			t.Fatalf("aws events %v: err %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := run(false, "put-rule", "--name", "nightly", "--schedule-expression", "cron(0 3 * * ? *)"); !strings.Contains(out, "arn:aws:events:us-east-1:000000000000:rule/nightly") {
		t.Fatalf("put-rule: %s", out)
	}
	if out := run(true, "put-rule", "--name", "broken", "--schedule-expression", "rate(1 minutes)"); !strings.Contains(out, "ScheduleExpression is not valid") {
		t.Fatalf("invalid expression: %s", out)
	}
	run(false, "put-targets", "--rule", "nightly", "--targets", `[{"Id":"t1","Arn":"`+arn+`","Input":"{\"warm\":true}"}]`)
	// As on AWS, the rule may invoke the function only with its permission.
	perm := awsCommand(t, h, "lambda", "add-permission", "--function-name", "cli-target", "--statement-id", "nightly",
		"--action", "lambda:InvokeFunction", "--principal", "events.amazonaws.com",
		"--source-arn", "arn:aws:events:us-east-1:000000000000:rule/nightly")
	perm.Env = h.awsEnv()
	if out, err := perm.CombinedOutput(); err != nil {
		t.Fatalf("aws lambda add-permission: %v\n%s", err, out)
	}
	if out := run(false, "list-targets-by-rule", "--rule", "nightly"); !strings.Contains(out, `"t1"`) || !strings.Contains(out, arn) {
		t.Fatalf("list-targets-by-rule: %s", out)
	}
	run(false, "disable-rule", "--name", "nightly")
	if out := run(false, "describe-rule", "--name", "nightly"); !strings.Contains(out, `"DISABLED"`) {
		t.Fatalf("describe-rule after disable: %s", out)
	}
	if out := run(true, "delete-rule", "--name", "nightly"); !strings.Contains(out, "has targets") {
		t.Fatalf("delete-rule with targets: %s", out)
	}
	run(false, "remove-targets", "--rule", "nightly", "--ids", "t1")
	run(false, "delete-rule", "--name", "nightly")
	if out := run(false, "list-rules"); strings.Contains(out, "nightly") {
		t.Fatalf("rule still listed: %s", out)
	}
	if out := run(true, "describe-rule", "--name", "nightly"); !strings.Contains(out, "ResourceNotFoundException") {
		t.Fatalf("describe deleted rule: %s", out)
	}
}
