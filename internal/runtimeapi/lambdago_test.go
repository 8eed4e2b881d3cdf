package runtimeapi

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAWSLambdaGoFunction runs a function built with aws-lambda-go's
// lambda.Start, unchanged, against the Server: a success, a returned error
// and a panic (after which the runtime client exits, as on Lambda).
func TestAWSLambdaGoFunction(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go binary")
	}
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-o", bin, "./testdata/lambdafn")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Listener: ln})
	defer s.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()

	select {
	case <-s.Ready():
	case err := <-exited:
		t.Fatalf("function exited during init: %v\n%s", err, stderr.String())
	case <-ctx.Done():
		t.Fatal("function never asked for an invocation")
	}

	deadline := time.Now().Add(time.Minute).Truncate(time.Millisecond)
	const arn = "arn:aws:lambda:us-east-1:000000000000:function:fn"
	invoke := func(id, payload string) Result {
		t.Helper()
		res, err := s.Invoke(ctx, Invocation{RequestID: id, FunctionARN: arn, Deadline: deadline, Payload: []byte(payload)})
		if err != nil {
			t.Fatalf("Invoke %s: %v\n%s", id, err, stderr.String())
		}
		return res
	}

	// Success, twice: the second is a warm invocation on the same process.
	for _, id := range []string{"req-ok-1", "req-ok-2"} {
		res := invoke(id, `{"mode":"ok","echo":"hi"}`)
		var got fnReply
		if err := json.Unmarshal(res.Payload, &got); err != nil || res.ErrorType != "" {
			t.Fatalf("success result = %q %q (%v)", res.Payload, res.ErrorType, err)
		}
		want := fnReply{Echo: "hi", RequestID: id, ARN: arn, DeadlineMs: deadline.UnixMilli()}
		if got != want {
			t.Errorf("reply = %+v, want %+v", got, want)
		}
	}

	// A streamed response (an io.Reader result, posted chunked) reaches the
	// caller's Stream with its HttpResponseStream prelude.
	sink := &recordingStream{first: make(chan struct{})}
	sres, err := s.Invoke(ctx, Invocation{RequestID: "req-stream", FunctionARN: arn, Deadline: deadline,
		Payload: []byte(`{"mode":"stream","echo":"go"}`), Stream: sink})
	sink.mu.Lock()
	streamed, ct := strings.Join(sink.writes, ""), sink.contentType
	sink.mu.Unlock()
	if err != nil || !sres.Streamed || sres.ErrorType != "" || ct != "application/vnd.awslambda.http-integration-response" ||
		streamed != `{"statusCode":201,"headers":{"x-go":"yes"}}`+"\x00\x00\x00\x00\x00\x00\x00\x00streamed go" {
		t.Fatalf("streamed result %+v %v, stream got %q as %q", sres, err, streamed, ct)
	}

	res := invoke("req-err", `{"mode":"error","echo":"x"}`)
	if res.ErrorType != "errorString" || string(res.Payload) != `{"errorMessage":"boom: x","errorType":"errorString"}` {
		t.Errorf("error result = %q %q", res.Payload, res.ErrorType)
	}

	res = invoke("req-panic", `{"mode":"panic"}`)
	var perr struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
		StackTrace   []any  `json:"stackTrace"`
	}
	if err := json.Unmarshal(res.Payload, &perr); err != nil || res.ErrorType != "string" ||
		perr.ErrorMessage != "kaboom" || len(perr.StackTrace) == 0 {
		t.Errorf("panic result = %q %q", res.Payload, res.ErrorType)
	}
	select {
	case err := <-exited:
		exited <- err // for the deferred wait
		if err == nil {
			t.Error("function exited cleanly after a panic")
		}
	case <-ctx.Done():
		t.Error("function still running after a panic")
	}
}

// fnReply mirrors testdata/lambdafn's answer.
type fnReply struct {
	Echo       string `json:"echo"`
	RequestID  string `json:"requestId"`
	ARN        string `json:"arn"`
	DeadlineMs int64  `json:"deadlineMs"`
}
