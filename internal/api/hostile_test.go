package api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/hearth-run/hearth/internal/api/sigv4"
)

const (
	testKey    = "AKIDHOSTILE"
	testSecret = "secret-for-hostile-tests"
)

// signedServer is a test server behind real SigV4 verification, on a real
// listener so that bodies stream as they do in production.
func signedServer(t *testing.T, inv Invoker) (*Server, *httptest.Server) {
	t.Helper()
	s := newTestServer(t)
	s.opts.Verifier = SigV4(sigv4.New(sigv4.Options{Lookup: func(id string) (string, bool) {
		return testSecret, id == testKey
	}}))
	if inv != nil {
		s.opts.Invoker = inv
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

// send signs a request for service and region and returns the status, the
// error type and the message.
func send(t *testing.T, ts *httptest.Server, method, path string, body []byte, service, region string, hdr map[string]string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(raw, &out)
	typ := resp.Header.Get("X-Amzn-ErrorType")
	return resp.StatusCode, typ, out.Message
}

// TestAuthenticatesBeforeBody sends only the head of a 70 MB upload, unsigned
// and signed: Hearth must answer from the head alone, without waiting for
// (or allocating) the body.
func TestAuthenticatesBeforeBody(t *testing.T) {
	s, ts := signedServer(t, nil)
	s.budget.max = 10 << 20
	addr := strings.TrimPrefix(ts.URL, "http://")
	signed, _ := http.NewRequest("POST", ts.URL+"/2015-03-31/functions", nil)
	signed.ContentLength = 70167211
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
	_ = v4.NewSigner().SignHTTP(context.Background(), creds, signed, strings.Repeat("0", 64), "lambda", "us-east-1", time.Now())
	tests := []struct {
		name, head string
		status     int
		errType    string
	}{
		{"unsigned", "POST /2015-03-31/functions HTTP/1.1\r\nHost: x\r\nContent-Length: 70167211\r\n\r\n", 403, "MissingAuthenticationTokenException"},
		{"over the operation's limit", "POST /2015-03-31/functions/f/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 70167211\r\n" +
			"X-Amz-Date: " + signed.Header.Get("X-Amz-Date") + "\r\nAuthorization: " +
			signed.Header.Get("Authorization") + "\r\n\r\n", 413, "RequestTooLargeException"},
		{"signed, over the server's budget", "POST /2015-03-31/functions HTTP/1.1\r\nHost: " + addr + "\r\nContent-Length: 70167211\r\n" +
			"X-Amz-Date: " + signed.Header.Get("X-Amz-Date") + "\r\nAuthorization: " + signed.Header.Get("Authorization") + "\r\n\r\n",
			429, "TooManyRequestsException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.WriteString(c, tt.head); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("no answer before the body: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status || resp.Header.Get("X-Amzn-ErrorType") != tt.errType {
				t.Fatalf("answer %d %s, want %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), tt.status, tt.errType)
			}
		})
	}
	if used := s.budget.used.Load(); used != 0 {
		t.Fatalf("%d body bytes still reserved after every request ended", used)
	}
}

func TestBodyLimits(t *testing.T) {
	s, ts := signedServer(t, nil)
	status, typ, _ := send(t, ts, "POST", "/2015-03-31/functions/f/invocations", bytes.Repeat([]byte("x"), maxInvokeRequest+1), "lambda", "us-east-1", nil)
	if status != 413 || typ != typeTooLarge {
		t.Fatalf("invoke over 6 MB: %d %s", status, typ)
	}
	s.budget.max = 1 << 20
	status, typ, _ = send(t, ts, "PUT", "/2015-03-31/functions/f/code", bytes.Repeat([]byte("x"), 2<<20), "lambda", "us-east-1", nil)
	if status != 429 || typ != typeTooMany {
		t.Fatalf("upload over the budget: %d %s", status, typ)
	}
	status, _, _ = send(t, ts, "GET", "/2015-03-31/functions", nil, "lambda", "us-east-1", nil)
	if status != 200 {
		t.Fatalf("list functions after refusals: %d", status)
	}
}

func TestCredentialScope(t *testing.T) {
	_, ts := signedServer(t, nil)
	events := map[string]string{"X-Amz-Target": "AWSEvents.ListRules", "Content-Type": "application/x-amz-json-1.1"}
	tests := []struct {
		name, method, path, service, region string
		hdr                                 map[string]string
		status                              int
		errType, msgPart                    string
	}{
		{"right scope", "GET", "/2015-03-31/functions", "lambda", "us-east-1", nil, 200, "", ""},
		{"other region", "GET", "/2015-03-31/functions", "lambda", "eu-west-1", nil, 403, "InvalidSignatureException", "region"},
		{"service Hearth does not speak", "POST", "/", "sqs", "us-east-1", map[string]string{"X-Amz-Target": "AmazonSQS.ListQueues"},
			400, "UnknownOperationException", "'sqs'"},
		{"lambda scope on EventBridge", "POST", "/", "lambda", "us-east-1", events, 403, "InvalidSignatureException", "'events'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, typ, msg := send(t, ts, tt.method, tt.path, []byte("{}"), tt.service, tt.region, tt.hdr)
			if tt.method == "GET" {
				status, typ, msg = send(t, ts, tt.method, tt.path, nil, tt.service, tt.region, tt.hdr)
			}
			if status != tt.status || typ != tt.errType || !strings.Contains(msg, tt.msgPart) {
				t.Fatalf("answer %d %s %q, want %d %s containing %q", status, typ, msg, tt.status, tt.errType, tt.msgPart)
			}
		})
	}
}

// TestEventBridgeTargetSigned replays an EventBridge request whose
// X-Amz-Target the signature does not cover: it must be refused.
func TestEventBridgeTargetSigned(t *testing.T) {
	_, ts := signedServer(t, nil)
	body := []byte("{}")
	req, _ := http.NewRequest("POST", ts.URL+"/", bytes.NewReader(body))
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
	_ = v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "events", "us-east-1", time.Now())
	req.Header.Set("X-Amz-Target", "AWSEvents.DeleteRule") // added after signing
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "InvalidSignatureException" {
		t.Fatalf("unsigned X-Amz-Target: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}

// failingInvoker fails every invocation in a way chosen by the test.
type failingInvoker struct {
	echoInvoker
	fail func()
}

func (f failingInvoker) Invoke(context.Context, *InvokeRequest) (*InvokeResult, error) {
	f.fail()
	return nil, errors.New("open /var/lib/hearth/secret/place: no space left on device")
}

func TestServiceErrors(t *testing.T) {
	tests := []struct {
		name string
		fail func()
	}{
		{"error naming a host path", func() {}},
		{"handler panic", func() { panic("boom at /var/lib/hearth/secret/place") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := signedServer(t, failingInvoker{fail: tt.fail})
			status, typ, msg := send(t, ts, "POST", "/2015-03-31/functions/f/invocations", []byte("{}"), "lambda", "us-east-1", nil)
			if status != 500 || typ != typeService || strings.Contains(msg, "/var/lib") || !strings.Contains(msg, "request id") {
				t.Fatalf("answer %d %s %q", status, typ, msg)
			}
			status, _, _ = send(t, ts, "GET", "/2015-03-31/functions", nil, "lambda", "us-east-1", nil)
			if status != 200 {
				t.Fatalf("next request: %d", status)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	long := strings.Repeat("y", 10_000)
	if got := sanitize("a\nb\xff" + long); len(got) != maxEcho+3 || !strings.HasPrefix(got, "a?b?yy") {
		t.Fatalf("sanitize = %.40q (%d bytes)", got, len(got))
	}
}
