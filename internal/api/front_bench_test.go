package api

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
)

// benchInvokes sends one pre-signed Invoke at a time over one kept
// connection to addr and reads each answer: the API's own cost per call
// (SigV4, parsing, routing, the answer) around an invoker that echoes.
func benchInvokes(b *testing.B, addr string, raw []byte) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Write(raw); err != nil {
			b.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// BenchmarkInvokeFront is a signed Invoke served by the Front;
// BenchmarkInvokeNetHTTP the same bytes served by net/http's server, the
// baseline it is read against (the client's share, http.ReadResponse, is
// the same in both).
func BenchmarkInvokeFront(b *testing.B) {
	_, front, _ := frontPair(b)
	benchInvokes(b, front, []byte(signedRaw(b, "/2015-03-31/functions/f/invocations", []byte(`{"a":1}`), nil)))
}

func BenchmarkInvokeNetHTTP(b *testing.B) {
	ref, _, _ := frontPair(b)
	benchInvokes(b, ref, []byte(signedRaw(b, "/2015-03-31/functions/f/invocations", []byte(`{"a":1}`), nil)))
}
