package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAKID   = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testHost   = "127.0.0.1:9911"
)

var testTime = time.Date(2026, 11, 25, 17, 31, 27, 0, time.UTC)

func testVerifier(now time.Time) *Verifier {
	return New(Options{
		Lookup: func(id string) (string, bool) {
			if id == testAKID {
				return testSecret, true
			}
			return "", false
		},
		Now: func() time.Time { return now },
	})
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// wire is a request as it travels: serialised by a client, to be parsed the
// way Hearth's server parses it.
type wire []byte

// toWire serialises a client-side request, consuming its body.
func toWire(t testing.TB, r *http.Request) wire {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawWire builds the wire form by hand: request line, headers in order, body.
func rawWire(method, target string, headers [][2]string, body []byte) wire {
	var b bytes.Buffer
	b.WriteString(method + " " + target + " HTTP/1.1\r\n")
	for _, h := range headers {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// parse reads the request back as net/http's server does and returns it
// with its body.
func (w wire) parse(t testing.TB) (*http.Request, []byte) {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(w)))
	if err != nil {
		t.Fatalf("parse request: %v\n%s", err, w)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return r, body
}

// sdkSigned signs a client-side request with aws-sdk-go-v2's signer and
// returns its wire form.
func sdkSigned(t testing.TB, method, url string, headers [][2]string, body []byte, service string, at time.Time) wire {
	t.Helper()
	r, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		r.Header.Add(h[0], h[1])
	}
	creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hashHex(body), service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return toWire(t, r)
}

// wantError checks err is an *Error with code and, unless empty, message.
func wantError(t *testing.T, err error, code, message string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want *Error %s", err, code)
	}
	if e.Code != code || (message != "" && e.Message != message) {
		t.Fatalf("error =\n  %s: %q\nwant\n  %s: %q", e.Code, e.Message, code, message)
	}
	if e.HTTPStatus() != http.StatusForbidden {
		t.Fatalf("status = %d", e.HTTPStatus())
	}
}

// replace swaps the first occurrence of old in w.
func (w wire) replace(t testing.TB, old, new string) wire {
	t.Helper()
	if !bytes.Contains(w, []byte(old)) {
		t.Fatalf("%q not in request:\n%s", old, w)
	}
	return bytes.Replace(w, []byte(old), []byte(new), 1)
}

// dropHeader removes a header line from w.
func (w wire) dropHeader(t testing.TB, name string) wire {
	t.Helper()
	lines := strings.Split(string(w), "\r\n")
	var out []string
	found := false
	for i, l := range lines {
		if k, _, ok := strings.Cut(l, ":"); ok && i > 0 && strings.EqualFold(k, name) && !found {
			found = true
			continue
		}
		out = append(out, l)
	}
	if !found {
		t.Fatalf("header %s not in request", name)
	}
	return wire(strings.Join(out, "\r\n"))
}
