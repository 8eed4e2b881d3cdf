package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// signedRequest sends a request signed with the given credentials and time.
func signedRequest(t *testing.T, h *hearth, method, path string, body []byte, id, secret string, at time.Time) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, h.endpoint()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret},
		req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, resp.Header, out
}

func TestSignatureFailures(t *testing.T) {
	h := startHearth(t, "")
	now := time.Now()
	tests := []struct {
		name       string
		id, secret string
		at         time.Time
		status     int
		errType    string
		msgPart    string
	}{
		{"valid", testKeyID, testSecret, now, 200, "", ""},
		{"unknown key", "AKIAUNKNOWNKEY000000", testSecret, now, 403, "UnrecognizedClientException", "security token included in the request is invalid"},
		{"wrong secret", testKeyID, "wrong-secret", now, 403, "InvalidSignatureException", "signature we calculated does not match"},
		{"expired", testKeyID, testSecret, now.Add(-16 * time.Minute), 403, "InvalidSignatureException", "Signature expired"},
		{"future", testKeyID, testSecret, now.Add(16 * time.Minute), 403, "InvalidSignatureException", "Signature"},
		{"within skew", testKeyID, testSecret, now.Add(-14 * time.Minute), 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, body := signedRequest(t, h, "GET", "/2015-03-31/functions/", nil, tt.id, tt.secret, tt.at)
			if status != tt.status {
				t.Fatalf("status %d, want %d (%v)", status, tt.status, body)
			}
			if tt.errType == "" {
				return
			}
			msg, _ := body["message"].(string)
			if hdr.Get("X-Amzn-ErrorType") != tt.errType || !strings.Contains(msg, tt.msgPart) {
				t.Fatalf("error %q %q, want %s containing %q", hdr.Get("X-Amzn-ErrorType"), msg, tt.errType, tt.msgPart)
			}
		})
	}
	// No signature at all.
	resp, err := http.Get(h.endpoint() + "/2015-03-31/functions/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned request: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	// The SDK with wrong credentials gets the typed error.
	bad := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(h.endpoint()),
		Credentials: credentials.NewStaticCredentialsProvider(testKeyID, "nope", ""), RetryMaxAttempts: 1})
	if _, err := bad.ListFunctions(context.Background(), &lambda.ListFunctionsInput{}); apiCode(err) != "InvalidSignatureException" {
		t.Fatalf("SDK with wrong secret: %v", err)
	}
}

func TestMalformedRequests(t *testing.T) {
	h := startHearth(t, "")
	tests := []struct {
		name, method, path, body string
		status                   int
		errType                  string
	}{
		{"broken json", "POST", "/2015-03-31/functions", `{"FunctionName": `, 400, "InvalidRequestContentException"},
		{"wrong field type", "POST", "/2015-03-31/functions", `{"FunctionName": "x", "MemorySize": "big"}`, 400, "InvalidRequestContentException"},
		{"array body", "POST", "/2015-03-31/functions", `[1,2]`, 400, "InvalidRequestContentException"},
		{"no code", "POST", "/2015-03-31/functions", `{"FunctionName":"x","Runtime":"python3.12","Handler":"a.b","Role":"arn:aws:iam::000000000000:role/r"}`, 400, "InvalidParameterValueException"},
		{"invoke unknown", "POST", "/2015-03-31/functions/ghost/invocations", `{}`, 404, "ResourceNotFoundException"},
		{"unknown route", "GET", "/2015-03-31/nothing-here", ``, 404, "UnknownOperationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, body := signedRequest(t, h, tt.method, tt.path, []byte(tt.body), testKeyID, testSecret, time.Now())
			if status != tt.status || hdr.Get("X-Amzn-ErrorType") != tt.errType {
				t.Fatalf("got %d %s %v, want %d %s", status, hdr.Get("X-Amzn-ErrorType"), body, tt.status, tt.errType)
			}
		})
	}
}

func TestRestartAfterKill9(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	for _, name := range []string{"survivor-a", "survivor-b", "survivor-c"} {
		createFunction(t, c, name, runtimeCases[1])
	}
	h.kill9()
	h.restart()
	out, err := c.ListFunctions(context.Background(), &lambda.ListFunctionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Functions) != 3 {
		t.Fatalf("after kill -9 and restart: %d functions, want 3", len(out.Functions))
	}
	// The code survived too: the function still runs.
	if r := invoke(t, c, "survivor-b", map[string]string{"action": "echo"}); r.FunctionError != "" {
		t.Fatalf("invoke after restart: %s %s", r.FunctionError, r.Raw)
	}
}

func TestDataDirLocked(t *testing.T) {
	h := startHearth(t, "")
	cmd := exec.Command(hearthBin, "serve", "--listen", freeAddr(t), "--data-dir", h.dataDir)
	cmd.Env = append(os.Environ(), "HEARTH_ACCESS_KEY_ID="+testKeyID, "HEARTH_SECRET_ACCESS_KEY="+testSecret)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "locked by another running Hearth") {
		t.Fatalf("second hearth on the same data dir: err %v, output:\n%s", err, out)
	}
}

func TestGeneratedCredentials(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(hearthBin, "serve", "--listen", freeAddr(t), "--data-dir", dir)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HEARTH_ACCESS_KEY_ID=") && !strings.HasPrefix(kv, "HEARTH_SECRET_ACCESS_KEY=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "export AWS_ACCESS_KEY_ID=") {
				found <- sc.Text()
			}
		}
		close(found)
	}()
	var line string
	select {
	case line = <-found:
	case <-time.After(15 * time.Second):
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	if !strings.HasPrefix(line, "export AWS_ACCESS_KEY_ID=AKIA") || !strings.Contains(line, "AWS_SECRET_ACCESS_KEY=") {
		t.Fatalf("no export line printed, got %q", line)
	}
	st, err := os.Stat(filepath.Join(dir, "credentials.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", st, err)
	}
}

// TestGracefulShutdown sends SIGTERM while an invocation runs: the
// invocation finishes and answers, then Hearth exits.
func TestGracefulShutdown(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	createFunction(t, c, "graceful", runtimeCases[0])
	invoke(t, c, "graceful", map[string]any{"action": "echo"})
	done := make(chan invokeResult, 1)
	go func() { done <- invoke(t, c, "graceful", map[string]any{"action": "sleep", "sleepMs": 1000}) }()
	time.Sleep(300 * time.Millisecond)
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case r := <-done:
		if r.FunctionError != "" || r.Payload["requestId"] == nil {
			t.Fatalf("in-flight invocation during shutdown: %q %s", r.FunctionError, r.Raw)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("in-flight invocation did not finish")
	}
	select {
	case <-h.done:
	case <-time.After(15 * time.Second):
		t.Fatal("hearth did not exit after SIGTERM")
	}
}
