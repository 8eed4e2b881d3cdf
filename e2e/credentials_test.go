package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

var (
	callerZipOnce sync.Once
	callerZip     []byte
	callerZipErr  error
)

// callerFunctionZip builds testdata/callerfn (aws-lambda-go and
// aws-sdk-go-v2's Lambda client) into a zip, once per test binary.
func callerFunctionZip(t *testing.T) []byte {
	t.Helper()
	callerZipOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hearth-callerfn")
		if err != nil {
			callerZipErr = err
			return
		}
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "bootstrap")
		cmd := exec.Command("go", "build", "-o", bin, "./testdata/callerfn")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			callerZipErr = err
			t.Logf("build callerfn: %s", out)
			return
		}
		b, err := os.ReadFile(bin)
		if err != nil {
			callerZipErr = err
			return
		}
		callerZip = zipFiles(t, map[string][]byte{"bootstrap*": b})
	})
	if callerZipErr != nil {
		t.Fatal(callerZipErr)
	}
	return callerZip
}

// sdkClient is a Lambda client made the way most Go programs make one,
// from aws-sdk-go-v2's default configuration.
func sdkClient(t *testing.T, h *hearth) *lambda.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(testKeyID, testSecret, "")),
		config.WithRetryMaxAttempts(1), config.WithEC2IMDSClientEnableState(0))
	if err != nil {
		t.Fatal(err)
	}
	return lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = aws.String(h.endpoint()) })
}

// callerAnswer is what testdata/callerfn returns.
type callerAnswer struct {
	Payload   json.RawMessage `json:"payload"`
	ErrorCode string          `json:"errorCode"`
	Error     string          `json:"error"`
	KeyID     string          `json:"keyId"`
	Endpoint  string          `json:"endpoint"`
	Runtime   string          `json:"runtime"`
}

func callFrom(t *testing.T, c *lambda.Client, event map[string]any) callerAnswer {
	t.Helper()
	r := invoke(t, c, "caller", event)
	var a callerAnswer
	if err := json.Unmarshal(r.Raw, &a); err != nil || r.FunctionError != "" {
		t.Fatalf("caller: %s %s (%v)\n%s", r.FunctionError, r.Raw, err, r.Log)
	}
	return a
}

// TestFunctionCallsFunction: a function's environment carries a session
// credential and Hearth's endpoint; aws-sdk-go-v2 inside it invokes a
// second function and reads its configuration, and is refused creating a
// function or downloading another's code.
func TestFunctionCallsFunction(t *testing.T) {
	for _, mode := range []string{"auto", "off"} {
		t.Run("isolation-"+mode, func(t *testing.T) {
			h := startHearth(t, "", "--isolation", mode)
			c := sdkClient(t, h)
			pyFunction(t, c, "callee", "def handler(event, context):\n    return {\"hello\": event.get(\"name\")}\n")
			createFunction(t, c, "caller", runtimeCase{"go", "provided.al2023", "bootstrap", callerFunctionZip})

			a := callFrom(t, c, map[string]any{"action": "invoke", "target": "callee", "input": map[string]string{"name": "hearth"}})
			if a.Error != "" || string(a.Payload) != `{"hello": "hearth"}` && string(a.Payload) != `{"hello":"hearth"}` {
				t.Errorf("invoke from a function: payload %s, error %s %s", a.Payload, a.ErrorCode, a.Error)
			}
			if !strings.HasPrefix(a.KeyID, "ASIA") || a.KeyID == testKeyID || a.Endpoint == "" {
				t.Errorf("environment credential %q, endpoint %q", a.KeyID, a.Endpoint)
			}
			if a := callFrom(t, c, map[string]any{"action": "config", "target": "callee"}); a.Error != "" || a.Runtime != "python3.12" {
				t.Errorf("GetFunctionConfiguration from a function: %+v", a)
			}
			a = callFrom(t, c, map[string]any{"action": "create", "target": "made-by-function",
				"zip": zipFiles(t, map[string][]byte{"bootstrap*": []byte("#!/bin/sh\n")})})
			if a.ErrorCode != "AccessDeniedException" || !strings.Contains(a.Error, "lambda:CreateFunction") {
				t.Errorf("CreateFunction from a function: %s %s", a.ErrorCode, a.Error)
			}
			if _, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("made-by-function")}); err == nil {
				t.Errorf("the refused CreateFunction created the function")
			}
			if a := callFrom(t, c, map[string]any{"action": "getcode", "target": "callee"}); a.ErrorCode != "AccessDeniedException" {
				t.Errorf("GetFunction (code) of another function: %s %s", a.ErrorCode, a.Error)
			}
		})
	}
}
