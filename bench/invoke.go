package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// call is one invocation as the client saw it.
type call struct {
	Start, End time.Time
	Stream     string // the log stream, which names the environment
	InitType   string
	InitAt     int64 // when the function's process initialised, Unix ns
	// From the REPORT line (only with LogType Tail).
	HasInit    bool
	InitMs     float64
	DurationMs float64
	Err        error
}

func (c call) Latency() time.Duration { return c.End.Sub(c.Start) }

// invoke calls a function synchronously; tail asks for the log tail, which
// carries the REPORT line.
func invoke(ctx context.Context, lc *lambda.Client, name, qualifier string, payload []byte, tail bool) call {
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: payload}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	if tail {
		in.LogType = types.LogTypeTail
	}
	c := call{Start: time.Now()}
	out, err := lc.Invoke(ctx, in)
	c.End = time.Now()
	if err != nil {
		c.Err = err
		return c
	}
	if out.FunctionError != nil {
		c.Err = fmt.Errorf("function error %s: %s", *out.FunctionError, out.Payload)
		return c
	}
	var ans struct {
		Stream   string `json:"stream"`
		InitType string `json:"initType"`
		InitAt   int64  `json:"initAt"`
	}
	if err := json.Unmarshal(out.Payload, &ans); err != nil || ans.Stream == "" {
		c.Err = fmt.Errorf("unexpected answer %q", out.Payload)
		return c
	}
	c.Stream, c.InitType, c.InitAt = ans.Stream, ans.InitType, ans.InitAt
	if out.LogResult != nil {
		raw, _ := base64.StdEncoding.DecodeString(*out.LogResult)
		c.HasInit, c.InitMs, c.DurationMs = parseReport(string(raw))
	}
	return c
}

// parseReport reads Duration and Init Duration from the last REPORT line.
func parseReport(log string) (hasInit bool, initMs, durMs float64) {
	i := strings.LastIndex(log, "REPORT ")
	if i < 0 {
		return false, 0, 0
	}
	for _, f := range strings.Split(log[i:], "\t") {
		f = strings.TrimSpace(f)
		switch {
		case strings.HasPrefix(f, "Init Duration: "):
			hasInit = true
			initMs = msField(f, "Init Duration: ")
		case strings.HasPrefix(f, "Duration: "):
			durMs = msField(f, "Duration: ")
		}
	}
	return hasInit, initMs, durMs
}

func msField(f, prefix string) float64 {
	v, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(f, prefix), " ms"), 64)
	return v
}

// createFunction deploys a hello function.
func createFunction(ctx context.Context, lc *lambda.Client, name string, rt runtimeSpec, zip []byte, mutate ...func(*lambda.CreateFunctionInput)) error {
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      types.Runtime(rt.Runtime),
		Handler:      aws.String(rt.Handler),
		Role:         aws.String("arn:aws:iam::000000000000:role/hearth-bench"),
		Code:         &types.FunctionCode{ZipFile: zip},
		Timeout:      aws.Int32(30),
	}
	for _, m := range mutate {
		m(in)
	}
	if _, err := lc.CreateFunction(ctx, in); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	return nil
}

// deploy creates a hello function of the given runtime.
func deploy(ctx context.Context, tb *toolbox, h *hearthProc, name string, rt runtimeSpec, mutate ...func(*lambda.CreateFunctionInput)) error {
	zip, err := tb.zip(rt)
	if err != nil {
		return err
	}
	return createFunction(ctx, h.Lambda, name, rt, zip, mutate...)
}

// fanOut runs n invocations at once (released together) and returns them in
// order, with the time from release until the last answer.
func fanOut(n int, do func(i int) call) ([]call, time.Duration) {
	calls := make([]call, n)
	ready := make(chan struct{})
	done := make(chan struct{}, n)
	for i := range n {
		go func() { // owned by fanOut: it waits for every one below
			<-ready
			calls[i] = do(i)
			done <- struct{}{}
		}()
	}
	begin := time.Now()
	close(ready)
	for range n {
		<-done
	}
	return calls, time.Since(begin)
}

// failures counts the calls that did not answer.
func failures(calls []call) (n int, first error) {
	for _, c := range calls {
		if c.Err != nil {
			if first == nil {
				first = c.Err
			}
			n++
		}
	}
	return n, first
}

// streams counts the distinct environments among the calls.
func streams(calls []call) int {
	seen := map[string]bool{}
	for _, c := range calls {
		if c.Stream != "" {
			seen[c.Stream] = true
		}
	}
	return len(seen)
}

// colds counts the calls whose REPORT line carried an Init Duration.
func colds(calls []call) int {
	n := 0
	for _, c := range calls {
		if c.HasInit {
			n++
		}
	}
	return n
}

// errUnsupported marks a scenario step the server does not offer yet.
var errUnsupported = errors.New("unsupported by this Hearth")
