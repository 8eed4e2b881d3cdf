package sigv4

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time (user and system) this process has used so far.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// hostileRequest is a signed-looking request whose SignedHeaders names n
// headers and which carries m extra headers, all unsigned.
func hostileRequest(t *testing.T, n, m int) wire {
	names := make([]string, 0, n+2)
	names = append(names, "host", "x-amz-date")
	for i := range n {
		names = append(names, "x-h"+itoa(i))
	}
	headers := [][2]string{{"Host", testHost}, {"X-Amz-Date", testTime.Format(amzDateLayout)},
		{"Authorization", "AWS4-HMAC-SHA256 Credential=" + testAKID + "/20261125/us-east-1/lambda/aws4_request, SignedHeaders=" +
			strings.Join(names, ";") + ", Signature=" + strings.Repeat("0", 64)}}
	for i := range m {
		headers = append(headers, [2]string{"X-H" + itoa(i), "v"})
	}
	return rawWire("POST", "/2015-03-31/functions/f/invocations", headers, nil)
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestHostileSignedHeaders sends 100k signed header names with 17k headers
// (the request that took 28 s of CPU when verification was quadratic): it
// must be refused, and cheaply. The bound is CPU time, measured with
// getrusage, and generous: the work is linear and takes a few ms.
func TestHostileSignedHeaders(t *testing.T) {
	w := hostileRequest(t, 100_000, 17_000)
	r, body := w.parse(t)
	v := testVerifier(testTime)
	start := cpuTime(t)
	_, err := v.Verify(r, body)
	used := cpuTime(t) - start
	list := r.Header.Get("Authorization")
	list = list[strings.Index(list, "SignedHeaders=")+len("SignedHeaders=") : strings.LastIndex(list, ", ")]
	wantError(t, err, CodeInvalidSignature, "SignedHeaders is "+strconv.Itoa(len(list))+" bytes long; at most 8192 are accepted.")
	t.Logf("refused in %v of CPU", used)
	if used > 100*time.Millisecond {
		t.Fatalf("refusing 100k signed header names took %v of CPU", used)
	}
}

// TestSignedHeadersAtLimit checks a request with the most signed headers
// accepted is verified in time linear in its size: every name is looked up
// in the header map once.
func TestSignedHeadersAtLimit(t *testing.T) {
	var extra [][2]string
	for i := range maxSignedHeaders - 3 {
		extra = append(extra, [2]string{"X-Signed-" + itoa(i), "v"})
	}
	w := sdkSigned(t, "GET", "http://"+testHost+"/2015-03-31/functions", extra, nil, "lambda", testTime)
	r, body := w.parse(t)
	if _, err := testVerifier(testTime).Verify(r, body); err != nil {
		t.Fatal(err)
	}
	w = hostileRequest(t, maxSignedHeaders, 17_000)
	r, body = w.parse(t)
	_, err := testVerifier(testTime).Verify(r, body)
	wantError(t, err, CodeInvalidSignature, "SignedHeaders names 130 headers; at most 128 are accepted.")
}

// TestHugeAuthorizationNotEchoed checks an error never repeats more than a
// short prefix of a huge header (AWS echoes the whole Authorization header
// in some messages).
func TestHugeAuthorizationNotEchoed(t *testing.T) {
	huge := "Bearer " + strings.Repeat("\xffx", 450_000)
	w := rawWire("GET", "/", [][2]string{{"Host", testHost}, {"Authorization", huge}}, nil)
	r, body := w.parse(t)
	_, err := testVerifier(testTime).Verify(r, body)
	e, ok := err.(*Error)
	if !ok || e.Code != CodeIncompleteSignature || len(e.Message) > 1024 || strings.Contains(e.Message, "\xff") {
		t.Fatalf("error %T of %d bytes: %.300q", err, len(err.Error()), err)
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc", "abc"},
		{"a\nb\x00c\xff", "a?b?c?"},
		{strings.Repeat("x", maxQuoted+1), strings.Repeat("x", maxQuoted) + "..."},
	}
	for _, tt := range tests {
		if got := quote(tt.in); got != tt.want {
			t.Errorf("quote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
