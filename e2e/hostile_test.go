package e2e

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// rssBytes is the resident set size of process pid.
func rssBytes(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/pid/status")
	return 0
}

// TestBodyHeadsDoNotExhaustMemory opens 20 connections that each send only
// the head of a 70 MB CreateFunction, half unsigned and half with a
// signature head that authenticates: Hearth's resident memory must grow by
// less than 32 MB (it grew by 1.4 GB when bodies were allocated from
// Content-Length before authentication), and every connection is answered
// or held without allocation.
func TestBodyHeadsDoNotExhaustMemory(t *testing.T) {
	h := startHearth(t, "", "--http-read-timeout", "20s")
	// One request first, so that the baseline includes a served request.
	if status, _, _ := signedRequest(t, h, "GET", "/2015-03-31/functions/", nil, testKeyID, testSecret, time.Now()); status != 200 {
		t.Fatalf("list functions: %d", status)
	}
	before := rssBytes(t, h.cmd.Process.Pid)
	signed, _ := http.NewRequest("POST", h.endpoint()+"/2015-03-31/functions", nil)
	signed.ContentLength = 70167211
	creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, signed, strings.Repeat("0", 64), "lambda", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	answered := 0
	for i := range 20 {
		c, err := net.DialTimeout("tcp", h.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		head := "POST /2015-03-31/functions HTTP/1.1\r\nHost: " + h.addr + "\r\nContent-Length: 70167211\r\nContent-Type: application/json\r\n"
		if i%2 == 1 {
			head += "X-Amz-Date: " + signed.Header.Get("X-Amz-Date") + "\r\nAuthorization: " + signed.Header.Get("Authorization") + "\r\n"
		}
		if _, err := io.WriteString(c, head+"\r\n{\"FunctionName\":"); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			// Unsigned: answered from the head alone.
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("unsigned 70 MB head: %v %v", resp, err)
			}
			answered++
		}
	}
	time.Sleep(500 * time.Millisecond)
	after := rssBytes(t, h.cmd.Process.Pid)
	t.Logf("RSS %d MB before, %d MB with 20 heads of 70 MB bodies open (%d answered at once)", before>>20, after>>20, answered)
	if after-before >= 32<<20 {
		t.Fatalf("RSS grew by %d MB", (after-before)>>20)
	}
	// Hearth still serves.
	if status, _, _ := signedRequest(t, h, "GET", "/2015-03-31/functions/", nil, testKeyID, testSecret, time.Now()); status != 200 {
		t.Fatalf("list functions while heads are open: %d", status)
	}
}

// TestConnectionLimits checks that an idle keep-alive connection is closed
// after the idle timeout, that a client cannot hold more connections than
// its limit, and that an Invoke longer than the read and write timeouts
// still answers.
//
// The functions are created first by a Hearth on the same data dir without
// the short timeouts: the write timeout runs from a request's head to the
// end of its answer, and CreateFunction with the 7 MB zip of a Go function
// takes longer than 2 s on a race-enabled Hearth (its answer was cut and
// the client saw EOF, although the function was created).
func TestConnectionLimits(t *testing.T) {
	dir := t.TempDir()
	setup := startHearth(t, dir)
	createFunction(t, setup.client(), "long", runtimeCases[0])
	createFunction(t, setup.client(), "inside", runtimeCases[0])
	setup.stop()
	h := startHearth(t, dir, "--http-idle-timeout", "1s", "--http-max-conns-per-client", "4",
		"--http-read-timeout", "2s", "--http-write-timeout", "2s")
	t.Run("idle connection closed", func(t *testing.T) {
		c, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET /2015-03-31/functions HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		start := time.Now()
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := br.ReadByte(); err != io.EOF {
			t.Fatalf("idle connection: read %v, want EOF", err)
		}
		if waited := time.Since(start); waited < 900*time.Millisecond {
			t.Fatalf("idle connection closed after %v, before the idle timeout", waited)
		}
	})
	t.Run("connections per client", func(t *testing.T) {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for range 4 {
			c, err := net.Dial("tcp", h.addr)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		extra, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer extra.Close()
		_ = extra.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := extra.Read(make([]byte, 1)); err == nil {
			t.Fatal("a fifth connection was served")
		}
		conns[0].Close()
		conns = conns[1:]
		waitFor(t, "a connection slot", func() bool {
			_, err := h.client().ListFunctions(context.Background(), nil)
			return err == nil
		})
	})
	t.Run("invoke longer than the timeouts", func(t *testing.T) {
		c := h.client()
		r := invoke(t, c, "long", map[string]any{"action": "sleep", "sleepMs": 3000})
		if r.FunctionError != "" || r.Payload["requestId"] == nil {
			t.Fatalf("3 s invocation with 2 s timeouts: %q %s", r.FunctionError, r.Raw)
		}
		if _, err := c.ListFunctions(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an environment reaches the API through the limits", func(t *testing.T) {
		c := h.client()
		env, _ := invoke(t, c, "inside", map[string]any{"action": "env"}).Payload["env"].(map[string]any)
		endpoint, _ := env["AWS_ENDPOINT_URL_LAMBDA"].(string)
		if endpoint == "" {
			t.Fatalf("no AWS_ENDPOINT_URL_LAMBDA in the environment: %v", env)
		}
		r := invoke(t, c, "inside", map[string]any{"action": "get", "addr": strings.TrimPrefix(endpoint, "http://")})
		t.Logf("GET %s/ from inside an environment: %v", endpoint, r.Payload["status"])
		if status, _ := r.Payload["status"].(float64); status == 0 {
			t.Fatalf("GET %s from inside an environment: %s", endpoint, r.Raw)
		}
	})
}
