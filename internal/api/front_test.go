package api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/hearth-run/hearth/internal/api/sigv4"
	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/invoke"
)

// scriptedInvoker answers by function name, at the process boundary where
// the real invoker would run environments.
type scriptedInvoker struct{ echoInvoker }

func (scriptedInvoker) Invoke(_ context.Context, req *InvokeRequest) (*InvokeResult, error) {
	res := &invoke.Result{Status: http.StatusOK, Payload: req.Payload, ExecutedVersion: "$LATEST",
		RequestID: "8f3c1a2e-0000-4000-8000-" + fmt.Sprintf("%012d", len(req.Payload)), LogTail: []byte("START\nEND\n")}
	switch {
	case req.Function == "missing":
		return nil, fmt.Errorf("function %s: %w", req.Function, errdefs.ErrNotFound)
	case req.Function == "busy":
		return nil, fmt.Errorf("function %s: %w", req.Function, errdefs.ErrThrottled)
	case req.Function == "broken":
		return nil, fmt.Errorf("open /var/lib/hearth/x: no space left on device")
	case req.Function == "fail":
		res.FunctionError, res.Payload = "Unhandled", []byte(`{"errorMessage":"boom","errorType":"Error"}`)
	case req.Type == invoke.Event:
		res.Status, res.Payload = http.StatusAccepted, nil
	case req.Type == invoke.DryRun:
		res.Status, res.Payload = http.StatusNoContent, nil
	case req.Qualifier != "":
		res.ExecutedVersion = req.Qualifier
	}
	return res, nil
}

// frontPair serves one API Server twice: through net/http alone (the
// reference) and through a Front. It returns both addresses.
func frontPair(t testing.TB) (ref, front string, f *Front) {
	t.Helper()
	return frontPairOf(t, scriptedInvoker{})
}

// frontPairOf is frontPair with inv running the Invokes.
func frontPairOf(t testing.TB, inv Invoker) (ref, front string, f *Front) {
	t.Helper()
	s := newTestServer(t)
	s.opts.Invoker = inv
	s.opts.Verifier = SigV4(sigv4.New(sigv4.Options{Lookup: func(id string) (string, bool) {
		return testSecret, id == testKey
	}}))
	newHTTP := func() *http.Server {
		return &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
			WriteTimeout: 10 * time.Second, IdleTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	}
	refHTTP := newHTTP()
	f = s.NewFront(FrontOptions{HTTP: newHTTP(), MaxHeaders: 200})
	lnRef, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lnFront, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	go func() { _ = refHTTP.Serve(lnRef); done <- struct{}{} }()
	go func() { _ = f.Serve(lnFront); done <- struct{}{} }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = refHTTP.Shutdown(ctx)
		_ = f.Shutdown(ctx)
		<-done
		<-done
	})
	return lnRef.Addr().String(), lnFront.Addr().String(), f
}

// signedRaw renders a request signed by aws-sdk-go-v2 for Host
// lambda.test, as it goes on the wire.
func signedRaw(t testing.TB, path string, body []byte, hdr map[string]string) string {
	t.Helper()
	req, err := http.NewRequest("POST", "http://lambda.test"+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := req.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// exchange writes raw on a new connection and reads n answers, returned
// as sent.
func exchange(t *testing.T, addr, raw string, n int) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	br := bufio.NewReader(io.TeeReader(c, &out))
	var got int
	for range n {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("answer %d: %v (so far %q)", got+1, err, out.String())
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got++
	}
	return out.String()[:out.Len()-br.Buffered()]
}

var (
	dateLine = regexp.MustCompile(`(?m)^Date: [^\r]+\r$`)
	idLine   = regexp.MustCompile(`(?m)^X-Amzn-Requestid: ([^\r]+)\r$`)
)

// normalise masks what differs between any two answers: the date and a
// request id the server made up (also where a message repeats it).
func normalise(s string) string {
	s = dateLine.ReplaceAllString(s, "Date: <date>\r")
	for _, m := range idLine.FindAllStringSubmatch(s, -1) {
		if !strings.HasPrefix(m[1], "8f3c1a2e-") {
			s = strings.ReplaceAll(s, m[1], "<id>")
		}
	}
	return s
}

// TestFrontAnswersAsNetHTTP sends the same bytes to the API served by
// net/http and by the Front and requires the same answers, byte for byte
// but for the date and made-up request ids; the plain Invokes among them
// must have been served by the Front itself.
func TestFrontAnswersAsNetHTTP(t *testing.T) {
	ref, front, f := frontPair(t)
	inv := "/2015-03-31/functions/f/invocations"
	arn := "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af%3Aprod/invocations"
	plain := signedRaw(t, inv, []byte(`{"a":1}`), nil)
	unsigned := "POST " + inv + " HTTP/1.1\r\nHost: lambda.test\r\nContent-Length: 2\r\n\r\n{}"
	tests := []struct {
		name, raw string
		answers   int
		served    int // requests the Front serves itself; the others go to net/http
	}{
		{"plain", plain, 1, 1},
		{"empty body", signedRaw(t, inv, nil, nil), 1, 1},
		{"log tail", signedRaw(t, inv, []byte(`{}`), map[string]string{"X-Amz-Log-Type": "Tail"}), 1, 1},
		{"event", signedRaw(t, inv, []byte(`{}`), map[string]string{"X-Amz-Invocation-Type": "Event"}), 1, 1},
		{"dry run", signedRaw(t, inv, []byte(`{}`), map[string]string{"X-Amz-Invocation-Type": "DryRun"}), 1, 1},
		{"bad invocation type", signedRaw(t, inv, []byte(`{}`), map[string]string{"X-Amz-Invocation-Type": "Later"}), 1, 1},
		{"bad log type", signedRaw(t, inv, []byte(`{}`), map[string]string{"X-Amz-Log-Type": "All"}), 1, 1},
		{"client context", signedRaw(t, inv, []byte(`{}`), map[string]string{"X-Amz-Client-Context": "eyJhIjoxfQ=="}), 1, 1},
		{"bad client context", signedRaw(t, inv, []byte(`{}`), map[string]string{"X-Amz-Client-Context": "not base64"}), 1, 1},
		{"long client context", signedRaw(t, inv, []byte(`{}`), map[string]string{"X-Amz-Client-Context": strings.Repeat("e", 4000)}), 1, 1},
		{"function error", signedRaw(t, "/2015-03-31/functions/fail/invocations", []byte(`{}`), nil), 1, 1},
		{"not found", signedRaw(t, "/2015-03-31/functions/missing/invocations", []byte(`{}`), nil), 1, 1},
		{"throttled", signedRaw(t, "/2015-03-31/functions/busy/invocations", []byte(`{}`), nil), 1, 1},
		{"service error", signedRaw(t, "/2015-03-31/functions/broken/invocations", []byte(`{}`), nil), 1, 1},
		{"qualifier", signedRaw(t, inv+"?Qualifier=prod", []byte(`{}`), nil), 1, 1},
		{"qualifier mismatch", signedRaw(t, arn+"?Qualifier=dev", []byte(`{}`), nil), 1, 1},
		{"escaped ARN", signedRaw(t, arn, []byte(`{}`), nil), 1, 1},
		{"invalid JSON", signedRaw(t, inv, []byte(`{"a":`), nil), 1, 1},
		{"unsigned", unsigned, 1, 1},
		{"bad signature", strings.Replace(plain, "Signature=", "Signature=0", 1), 1, 1},
		{"tampered body", strings.Replace(plain, `{"a":1}`, `{"a":2}`, 1), 1, 1},
		{"too large, head only", "POST " + inv + " HTTP/1.1\r\nHost: lambda.test\r\nContent-Length: 7000000\r\n" +
			headerOf(plain, "X-Amz-Date") + headerOf(plain, "Authorization") + "\r\n", 1, 1},
		{"pipelined", plain + plain + signedRaw(t, inv, []byte(`{"b":2}`), nil), 3, 3},
		{"another route after an invoke", plain + "GET /2015-03-31/functions HTTP/1.1\r\nHost: lambda.test\r\n\r\n", 2, 1},
		{"an invoke after another route", "GET /2015-03-31/functions HTTP/1.1\r\nHost: lambda.test\r\n\r\n" + plain, 2, 1},
		{"another route with a body between invokes", plain + signedRaw(t, "/2015-03-31/functions/f/configuration", []byte(`{}`), nil) + plain, 3, 2},
		{"an unknown route between invokes", plain + "DELETE /2099-01-01/nothing HTTP/1.1\r\nHost: lambda.test\r\nContent-Length: 3\r\n\r\nabc" + plain, 3, 2},
		{"an unsigned upload, its body unread", "POST /2015-03-31/functions HTTP/1.1\r\nHost: lambda.test\r\nContent-Length: 1000000\r\n\r\n{", 1, 0},
		{"a streamed invoke, then an invoke", "GET /2021-11-15/functions/f/response-streaming-invocations HTTP/1.1\r\nHost: lambda.test\r\n\r\n" + plain, 2, 0},
		{"expect continue", strings.Replace(plain, "\r\n\r\n", "\r\nExpect: 100-continue\r\n\r\n", 1), 1, 0},
		{"keep-alive", strings.Replace(plain, "\r\n\r\n", "\r\nConnection: Keep-Alive\r\n\r\n", 1) + plain, 2, 2},
		{"connection close", strings.Replace(plain, "\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1), 1, 0},
		{"chunked", "POST " + inv + " HTTP/1.1\r\nHost: lambda.test\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 1, 0},
		{"repeated header", strings.Replace(plain, "\r\n\r\n", "\r\nX-Amz-Log-Type: Tail\r\nX-Amz-Log-Type: None\r\n\r\n", 1), 1, 0},
		{"lowercase names", strings.Replace(strings.Replace(plain, "Content-Type:", "content-type:", 1), "X-Amz-Date:", "x-AMZ-date:", 1), 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.served.Load()
			want := normalise(exchange(t, ref, tt.raw, tt.answers))
			got := normalise(exchange(t, front, tt.raw, tt.answers))
			if got != want {
				t.Fatalf("the Front answered\n%s\nnet/http answered\n%s", got, want)
			}
			if served := f.served.Load() - before; served != int64(tt.served) {
				t.Fatalf("the Front served %d of %d requests itself, want %d", served, tt.answers, tt.served)
			}
		})
	}
}

// headerOf is the header line name of a rendered request, with its CRLF.
func headerOf(raw, name string) string {
	for _, line := range strings.Split(raw, "\r\n") {
		if strings.HasPrefix(line, name+": ") {
			return line + "\r\n"
		}
	}
	return ""
}

// TestFrontTimeouts checks that the Front keeps the server's limits: a
// connection that sends nothing, or half a head, is closed after the
// read-header timeout; an idle kept connection after the idle timeout.
func TestFrontTimeouts(t *testing.T) {
	s := newTestServer(t)
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 300 * time.Millisecond, IdleTimeout: 600 * time.Millisecond}
	f := s.NewFront(FrontOptions{HTTP: hs})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = f.Serve(ln) }() // ends with Shutdown below
	t.Cleanup(func() { _ = f.Shutdown(context.Background()) })
	tests := []struct {
		name, send string
		min, max   time.Duration
	}{
		{"nothing", "", 250 * time.Millisecond, 3 * time.Second},
		{"half a head", "POST /2015-03-31/functions/f/invocations HTTP/1.1\r\nHost: x\r\n", 250 * time.Millisecond, 3 * time.Second},
		{"idle after an invoke", "POST /2015-03-31/functions/f/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
			550 * time.Millisecond, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			_, _ = io.WriteString(c, tt.send)
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, _ := io.Copy(io.Discard, c) // until the server closes
			if waited := time.Since(start); waited < tt.min || waited > tt.max {
				t.Fatalf("closed after %v (read %d bytes), want %v..%v", waited, n, tt.min, tt.max)
			}
		})
	}
}

// TestFrontBodyBudget checks that the body budget is given back after
// every request the Front serves, refused ones included.
func TestFrontBodyBudget(t *testing.T) {
	_, front, f := frontPair(t)
	raw := signedRaw(t, "/2015-03-31/functions/f/invocations", []byte(`{"a":1}`), nil)
	exchange(t, front, raw+raw, 2)
	exchange(t, front, strings.Replace(raw, "Signature=", "Signature=0", 1), 1)
	if used := f.s.budget.used.Load(); used != 0 {
		t.Fatalf("%d body bytes still reserved", used)
	}
	f.s.budget.max = 3
	got := exchange(t, front, raw, 1)
	if !strings.HasPrefix(got, "HTTP/1.1 429 ") || f.s.budget.used.Load() != 0 {
		t.Fatalf("over the budget: %.80q, %d reserved", got, f.s.budget.used.Load())
	}
}

// TestFrontAnswersOverUnreadBody sends an Invoke over the 6 MB limit, body
// and all, as SDKs do: the Front answers 413 from the head and closes the
// connection without reading the body, and the client, still writing, must
// get that answer rather than a reset.
func TestFrontAnswersOverUnreadBody(t *testing.T) {
	_, front, _ := frontPair(t)
	for range 3 {
		c, err := net.DialTimeout("tcp", front, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		body := bytes.Repeat([]byte("x"), maxInvokeRequest+1)
		raw := signedRaw(t, "/2015-03-31/functions/f/invocations", body, nil)
		go func() { _, _ = io.WriteString(c, raw) }() // ends when the connection does
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			c.Close()
			t.Fatalf("no answer while the body was being sent: %v", err)
		}
		resp.Body.Close()
		c.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close {
			t.Fatalf("answer %d (close %v), want 413 and Connection: close", resp.StatusCode, resp.Close)
		}
	}
}
