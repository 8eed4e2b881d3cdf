package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hearth-run/hearth/internal/testenv"
)

var streamCase = runtimeCase{"node", "nodejs20.x", "index.handler", func(t *testing.T) []byte {
	return zipFiles(t, map[string][]byte{"index.js": readTestdata(t, "streamfn/index.js")})
}}

// chunkTime parses the write time out of a "chunk N at MS" line.
func chunkTime(t *testing.T, line string) int64 {
	t.Helper()
	_, ms, ok := strings.Cut(strings.TrimSpace(line), " at ")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil {
		t.Fatalf("not a chunk line: %q", line)
	}
	return n
}

const boto3StreamScript = `
import json, os, sys, time
import boto3
c = boto3.client("lambda", endpoint_url=os.environ["HEARTH_ENDPOINT"], region_name="us-east-1")
r = c.invoke_with_response_stream(FunctionName="streamfn", Payload=sys.argv[1].encode())
out = {"chunks": [], "version": r.get("ExecutedVersion")}
for ev in r["EventStream"]:
    if "PayloadChunk" in ev:
        out["chunks"].append({"at": int(time.time() * 1000), "data": ev["PayloadChunk"]["Payload"].decode()})
    elif "InvokeComplete" in ev:
        out["complete"] = ev["InvokeComplete"]
print(json.dumps(out))
`

// TestResponseStreaming invokes a Node.js streaming handler with boto3's
// invoke_with_response_stream and aws-sdk-go-v2, and through a
// RESPONSE_STREAM function URL: the first chunk arrives while the function
// is still writing.
func TestResponseStreaming(t *testing.T) {
	py := testenv.NeedPython(t, "boto3")
	h := startHearth(t, "")
	c := h.client()
	createFunction(t, c, "streamfn", streamCase)

	boto := func(payload string) (out struct {
		Chunks []struct {
			At   int64
			Data string
		}
		Complete map[string]string
		Version  string
	}) {
		t.Helper()
		cmd := exec.Command(py, "-c", boto3StreamScript, payload)
		cmd.Env = h.awsEnv()
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("boto3: %v\n%s", err, b)
		}
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("boto3 output %s: %v", b, err)
		}
		return out
	}
	out := boto("{}")
	if len(out.Chunks) < 5 || out.Complete == nil || out.Complete["ErrorCode"] != "" || out.Version != "$LATEST" {
		t.Fatalf("boto3 stream: %+v", out)
	}
	var text strings.Builder
	for _, ch := range out.Chunks {
		text.WriteString(ch.Data)
	}
	lines := strings.Split(strings.TrimSpace(text.String()), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[4], "chunk 4 at ") {
		t.Fatalf("streamed text %q", text.String())
	}
	if first, last := out.Chunks[0].At, chunkTime(t, lines[4]); first >= last {
		t.Fatalf("first chunk arrived at %d, after the function wrote its last at %d", first, last)
	}
	failed := boto(`{"fail": true}`)
	if failed.Complete["ErrorCode"] != "Error" || !strings.Contains(failed.Complete["ErrorDetails"], "stream went wrong") ||
		len(failed.Chunks) != 1 {
		t.Fatalf("stream that failed: %+v", failed)
	}

	// aws-sdk-go-v2 reads the same event stream; a timeout after the first
	// chunk ends the stream with an error in InvokeComplete.
	if _, err := c.UpdateFunctionConfiguration(context.Background(), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("streamfn"), Timeout: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	slow, err := c.InvokeWithResponseStream(context.Background(), &lambda.InvokeWithResponseStreamInput{
		FunctionName: aws.String("streamfn"), Payload: []byte(`{"slow": true}`)})
	if err != nil {
		t.Fatal(err)
	}
	var before, code string
	for ev := range slow.GetStream().Events() {
		switch v := ev.(type) {
		case *types.InvokeWithResponseStreamResponseEventMemberPayloadChunk:
			before += string(v.Value.Payload)
		case *types.InvokeWithResponseStreamResponseEventMemberInvokeComplete:
			code = aws.ToString(v.Value.ErrorCode)
		}
	}
	slow.GetStream().Close()
	if before != "before the timeout\n" || code == "" {
		t.Fatalf("stream that timed out: %q, error code %q", before, code)
	}
	t.Logf("a stream that timed out ends with ErrorCode %s", code)
	if _, err := c.UpdateFunctionConfiguration(context.Background(), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("streamfn"), Timeout: aws.Int32(10)}); err != nil {
		t.Fatal(err)
	}

	res, err := c.InvokeWithResponseStream(context.Background(), &lambda.InvokeWithResponseStreamInput{
		FunctionName: aws.String("streamfn"), Payload: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	n, complete := 0, false
	for ev := range res.GetStream().Events() {
		switch v := ev.(type) {
		case *types.InvokeWithResponseStreamResponseEventMemberPayloadChunk:
			n += strings.Count(string(v.Value.Payload), "\n")
		case *types.InvokeWithResponseStreamResponseEventMemberInvokeComplete:
			complete = aws.ToString(v.Value.ErrorCode) == ""
		}
	}
	if err := res.GetStream().Close(); err != nil || n != 5 || !complete {
		t.Fatalf("aws-sdk-go-v2 stream: %d lines, complete %v, %v", n, complete, err)
	}

	// The same handler behind a RESPONSE_STREAM URL streams over HTTP.
	cfg, err := c.CreateFunctionUrlConfig(context.Background(), &lambda.CreateFunctionUrlConfigInput{
		FunctionName: aws.String("streamfn"), AuthType: types.FunctionUrlAuthTypeNone, InvokeMode: types.InvokeModeResponseStream})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddPermission(context.Background(), &lambda.AddPermissionInput{FunctionName: aws.String("streamfn"),
		StatementId: aws.String("url"), Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"),
		FunctionUrlAuthType: types.FunctionUrlAuthTypeNone}); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(aws.ToString(cfg.FunctionUrl))
	req, _ := http.NewRequest("GET", "http://"+h.addr+"/", nil)
	req.Host = u.Host
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("X-Stream") != "yes" || resp.Header.Get("Content-Type") != "text/plain" ||
		resp.Header.Get("Set-Cookie") != "s=1" || len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" {
		t.Fatalf("streamed URL answer: %d %v %v", resp.StatusCode, resp.Header, resp.TransferEncoding)
	}
	br := bufio.NewReader(resp.Body)
	var firstAt int64
	var got []string
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			if firstAt == 0 {
				firstAt = time.Now().UnixMilli()
			}
			got = append(got, line)
		}
		if err != nil {
			break
		}
	}
	if len(got) != 5 || firstAt >= chunkTime(t, got[4]) {
		t.Fatalf("URL stream: %q, first line read at %d", got, firstAt)
	}
}
