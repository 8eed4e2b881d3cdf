package runtimeapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestInvocationRoundTrips drives whole invocations, one per case.
func TestInvocationRoundTrips(t *testing.T) {
	tests := []struct {
		name        string
		post        string // "response" or "error"
		hdr         map[string]string
		body        string
		chunked     bool
		wantStatus  int
		wantPayload string
		wantType    string
	}{
		{name: "response", post: "response", body: `{"ok":true}`, wantStatus: 202, wantPayload: `{"ok":true}`},
		{name: "chunked response", post: "response", body: `"streamed"`, chunked: true,
			wantStatus: 202, wantPayload: `"streamed"`},
		{name: "empty response", post: "response", wantStatus: 202},
		{name: "error with header", post: "error",
			hdr:  map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"},
			body: `{"errorMessage":"x","errorType":"ImportError"}`, wantStatus: 202,
			wantPayload: `{"errorMessage":"x","errorType":"ImportError"}`, wantType: "Runtime.ImportModuleError"},
		{name: "error type from body", post: "error", body: `{"errorMessage":"boom","errorType":"errorString"}`,
			wantStatus: 202, wantPayload: `{"errorMessage":"boom","errorType":"errorString"}`, wantType: "errorString"},
		{name: "error with free-form header", post: "error", hdr: map[string]string{"Lambda-Runtime-Function-Error-Type": "Unhandled"},
			body: `not json`, wantStatus: 202, wantPayload: `not json`, wantType: "Unhandled"},
		{name: "empty error", post: "error", wantStatus: 202, wantType: "Runtime.Unknown"},
		{name: "response at the limit", post: "response", body: strings.Repeat("a", 64),
			wantStatus: 202, wantPayload: strings.Repeat("a", 64)},
		{name: "response over the limit", post: "response", body: strings.Repeat("a", 65),
			wantStatus: 413, wantType: "Function.ResponseSizeTooLarge",
			wantPayload: `{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response payload size exceeded maximum allowed payload size (64 bytes)."}`},
		{name: "chunked response over the limit", post: "response", body: strings.Repeat("a", 1000), chunked: true,
			wantStatus: 413, wantType: "Function.ResponseSizeTooLarge",
			wantPayload: `{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response payload size exceeded maximum allowed payload size (64 bytes)."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base := testServer(t, Options{MaxResponseBytes: 64})
			ctx := context.Background()
			out := invokeAsync(ctx, s, Invocation{RequestID: "req-1", Payload: []byte(`{}`), Deadline: time.Now().Add(time.Minute)})
			next := do(t, ctx, "GET", base+testPrefix+"invocation/next", nil, nil)
			if next.status != 200 || next.header.Get("Lambda-Runtime-Aws-Request-Id") != "req-1" {
				t.Fatalf("next = %d %v", next.status, next.header)
			}
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			got := do(t, ctx, "POST", base+testPrefix+"invocation/req-1/"+tt.post, body, tt.hdr)
			if got.status != tt.wantStatus {
				t.Fatalf("post = %d %q, want %d", got.status, got.body, tt.wantStatus)
			}
			if tt.wantStatus == 413 && got.body !=
				`{"errorMessage":"Exceeded maximum allowed payload size (64 bytes).","errorType":"RequestEntityTooLarge"}`+"\n" {
				t.Errorf("413 body = %q", got.body)
			}
			o := <-out
			if o.err != nil {
				t.Fatal(o.err)
			}
			if string(o.res.Payload) != tt.wantPayload || o.res.ErrorType != tt.wantType {
				t.Errorf("result = %q %q, want %q %q", o.res.Payload, o.res.ErrorType, tt.wantPayload, tt.wantType)
			}
			// The invocation is over: its id is stale now.
			if again := do(t, ctx, "POST", base+testPrefix+"invocation/req-1/response", strings.NewReader("{}"), nil); again.status != 400 || again.body != invalidID {
				t.Errorf("second post = %d %q", again.status, again.body)
			}
		})
	}
}

func TestNextHeaders(t *testing.T) {
	s, base := testServer(t, Options{})
	deadline := time.UnixMilli(1542409706888)
	inv := Invocation{
		RequestID:       "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
		FunctionARN:     "arn:aws:lambda:us-east-1:000000000000:function:fn",
		TraceID:         "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
		ClientContext:   `{"custom":{"a":"b"}}`,
		CognitoIdentity: `{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}`,
		Deadline:        deadline,
		Payload:         []byte(`{"key":"value"}`),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := invokeAsync(ctx, s, inv)
	got := do(t, context.Background(), "GET", base+testPrefix+"invocation/next", nil, nil)
	want := map[string]string{
		"Lambda-Runtime-Aws-Request-Id":       inv.RequestID,
		"Lambda-Runtime-Deadline-Ms":          "1542409706888",
		"Lambda-Runtime-Invoked-Function-Arn": inv.FunctionARN,
		"Lambda-Runtime-Trace-Id":             inv.TraceID,
		"Lambda-Runtime-Client-Context":       inv.ClientContext,
		"Lambda-Runtime-Cognito-Identity":     inv.CognitoIdentity,
		"Content-Type":                        "application/json",
		"Content-Length":                      "15",
	}
	if got.status != 200 || got.body != string(inv.Payload) {
		t.Fatalf("next = %d %q", got.status, got.body)
	}
	for k, v := range want {
		if got.header.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, got.header.Get(k), v)
		}
	}
	select {
	case <-s.Ready():
	default:
		t.Error("Ready not closed after the first /next")
	}
	cancel()
	if o := <-out; !errors.Is(o.err, context.Canceled) {
		t.Errorf("Invoke after cancel = %v", o.err)
	}

	// Optional headers are omitted when empty.
	out = invokeAsync(context.Background(), s, Invocation{RequestID: "r2"})
	got = do(t, context.Background(), "GET", base+testPrefix+"invocation/next", nil, nil)
	for _, k := range []string{"Lambda-Runtime-Client-Context", "Lambda-Runtime-Cognito-Identity", "Lambda-Runtime-Trace-Id"} {
		if _, ok := got.header[k]; ok {
			t.Errorf("%s present though empty", k)
		}
	}
	if got.header.Get("Lambda-Runtime-Deadline-Ms") == "" {
		t.Error("no deadline header for a zero Deadline")
	}
	do(t, context.Background(), "POST", base+testPrefix+"invocation/r2/response", nil, nil)
	<-out
}

// TestNextAgainRedelivers: a runtime asking for the next event before
// answering gets the current one again, as in Lambda.
func TestNextAgainRedelivers(t *testing.T) {
	s, base := testServer(t, Options{})
	out := invokeAsync(context.Background(), s, Invocation{RequestID: "same", Payload: []byte(`1`)})
	for i := range 2 {
		got := do(t, context.Background(), "GET", base+testPrefix+"invocation/next", nil, nil)
		if id := got.header.Get("Lambda-Runtime-Aws-Request-Id"); id != "same" || got.body != "1" {
			t.Fatalf("next #%d = %q %q", i, id, got.body)
		}
	}
	do(t, context.Background(), "POST", base+testPrefix+"invocation/same/response", strings.NewReader("ok"), nil)
	if o := <-out; o.err != nil || string(o.res.Payload) != "ok" {
		t.Fatalf("Invoke = %q %v", o.res.Payload, o.err)
	}
}

// TestParkedNextDisconnect: a runtime that drops its parked long poll does
// not lose the invocation that comes next.
func TestParkedNextDisconnect(t *testing.T) {
	s, base := testServer(t, Options{})
	finishInit(t, s, base) // parks a /next, then disconnects it
	out := invokeAsync(context.Background(), s, Invocation{RequestID: "after-drop", Payload: []byte(`{}`)})
	got := do(t, context.Background(), "GET", base+testPrefix+"invocation/next", nil, nil)
	if id := got.header.Get("Lambda-Runtime-Aws-Request-Id"); id != "after-drop" {
		t.Fatalf("next got %q", id)
	}
	do(t, context.Background(), "POST", base+testPrefix+"invocation/after-drop/response", strings.NewReader(`"done"`), nil)
	if o := <-out; o.err != nil || string(o.res.Payload) != `"done"` {
		t.Fatalf("Invoke = %q %v", o.res.Payload, o.err)
	}
}

func TestConcurrentInvokeIsRefused(t *testing.T) {
	s, base := testServer(t, Options{})
	first := invokeAsync(context.Background(), s, Invocation{RequestID: "one"})
	// Wait until the first invocation is in flight: the runtime sees it.
	got := do(t, context.Background(), "GET", base+testPrefix+"invocation/next", nil, nil)
	if got.header.Get("Lambda-Runtime-Aws-Request-Id") != "one" {
		t.Fatal("first invocation not delivered")
	}
	if _, err := s.Invoke(context.Background(), Invocation{RequestID: "two"}); !errors.Is(err, ErrBusy) {
		t.Fatalf("second Invoke = %v, want ErrBusy", err)
	}
	do(t, context.Background(), "POST", base+testPrefix+"invocation/one/response", nil, nil)
	if o := <-first; o.err != nil {
		t.Fatal(o.err)
	}
	// Once the first is done the environment takes the next one.
	second := invokeAsync(context.Background(), s, Invocation{RequestID: "three"})
	do(t, context.Background(), "GET", base+testPrefix+"invocation/next", nil, nil)
	do(t, context.Background(), "POST", base+testPrefix+"invocation/three/response", nil, nil)
	if o := <-second; o.err != nil {
		t.Fatal(o.err)
	}
}

func TestInvokeTimeoutThenLateResponse(t *testing.T) {
	s, base := testServer(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	out := invokeAsync(ctx, s, Invocation{RequestID: "slow"})
	do(t, context.Background(), "GET", base+testPrefix+"invocation/next", nil, nil)
	cancel()
	if o := <-out; !errors.Is(o.err, context.Canceled) {
		t.Fatalf("Invoke = %v, want context.Canceled", o.err)
	}
	got := do(t, context.Background(), "POST", base+testPrefix+"invocation/slow/response", strings.NewReader("{}"), nil)
	if got.status != 400 || got.body != invalidID {
		t.Fatalf("late response = %d %q", got.status, got.body)
	}
}

func TestCloseReleasesInvokeAndNext(t *testing.T) {
	s, base := testServer(t, Options{})
	out := invokeAsync(context.Background(), s, Invocation{RequestID: "never"})
	time.Sleep(10 * time.Millisecond) // let Invoke park; correctness does not depend on it
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if o := <-out; !errors.Is(o.err, ErrClosed) {
		t.Fatalf("Invoke after Close = %v", o.err)
	}
	if _, err := s.Invoke(context.Background(), Invocation{RequestID: "x"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Invoke on closed = %v", err)
	}
	if _, err := http.Get(base + testPrefix + "invocation/next"); err == nil {
		t.Fatal("server still answering after Close")
	}
}

func TestLargeResponseAtDefaultLimit(t *testing.T) {
	s, base := testServer(t, Options{})
	out := invokeAsync(context.Background(), s, Invocation{RequestID: "big"})
	do(t, context.Background(), "GET", base+testPrefix+"invocation/next", nil, nil)
	exact := bytes.Repeat([]byte("a"), DefaultMaxResponseBytes)
	if got := do(t, context.Background(), "POST", base+testPrefix+"invocation/big/response", bytes.NewReader(exact), nil); got.status != 202 {
		t.Fatalf("6291556-byte response = %d", got.status)
	}
	if o := <-out; o.err != nil || len(o.res.Payload) != DefaultMaxResponseBytes || o.res.ErrorType != "" {
		t.Fatalf("Invoke = %d bytes %q %v", len(o.res.Payload), o.res.ErrorType, o.err)
	}
	out = invokeAsync(context.Background(), s, Invocation{RequestID: "bigger"})
	do(t, context.Background(), "GET", base+testPrefix+"invocation/next", nil, nil)
	over := append(exact, 'b')
	if got := do(t, context.Background(), "POST", base+testPrefix+"invocation/bigger/response", bytes.NewReader(over), nil); got.status != 413 {
		t.Fatalf("6291557-byte response = %d", got.status)
	}
	if o := <-out; o.err != nil || o.res.ErrorType != "Function.ResponseSizeTooLarge" ||
		string(o.res.Payload) != `{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes)."}` {
		t.Fatalf("Invoke = %q %q %v", o.res.Payload, o.res.ErrorType, o.err)
	}
}
