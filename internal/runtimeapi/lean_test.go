package runtimeapi

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawConn is a runtime's connection driven byte by byte.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, base string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

func (rc *rawConn) send(s string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, s); err != nil {
		rc.t.Fatal(err)
	}
}

// answer reads one answer as net/http's client parses it.
func (rc *rawConn) answer() (*http.Response, string) {
	rc.t.Helper()
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		rc.t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		rc.t.Fatal(err)
	}
	return resp, string(b)
}

const nextReq = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"

// TestLeanConnection: the runtime's own connection, answered without
// net/http's server, still speaks HTTP/1.1 as clients parse it: /next and
// /response in a row on one connection (also pipelined), a chunked
// /response whose trailers report an error, a value with a line break
// that must not split a header, and other calls on the same connection.
func TestLeanConnection(t *testing.T) {
	s, base := testServer(t, Options{})
	ctx := context.Background()
	rc := dialRaw(t, base)

	cc := "{\"a\":\r\n1}" // valid JSON with a CR LF in it
	out := invokeAsync(ctx, s, Invocation{RequestID: "r1", Payload: []byte(`{"n":1}`), ClientContext: cc})
	rc.send(nextReq)
	resp, body := rc.answer()
	if resp.StatusCode != 200 || body != `{"n":1}` || resp.Header.Get(hdrRequestID) != "r1" ||
		resp.Header.Get(hdrClientContext) != "{\"a\":  1}" || len(resp.Header) != 5 {
		t.Fatalf("next = %d %q %v", resp.StatusCode, body, resp.Header)
	}
	rc.send("POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n\"ok\"")
	if resp, body := rc.answer(); resp.StatusCode != 202 || body != string(bodyAccepted) {
		t.Fatalf("response = %d %q", resp.StatusCode, body)
	}
	if o := <-out; o.err != nil || string(o.res.Payload) != `"ok"` {
		t.Fatalf("Invoke = %q %v", o.res.Payload, o.err)
	}

	// Chunked, with aws-lambda-go's error trailers, pipelined with the
	// next /next.
	out = invokeAsync(ctx, s, Invocation{RequestID: "r2", Payload: []byte(`{}`)})
	rc.send(nextReq)
	rc.answer()
	rc.send("POST /2018-06-01/runtime/invocation/r2/response HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" +
		"Trailer: Lambda-Runtime-Function-Error-Type\r\n\r\n3\r\npar\r\n0\r\n" +
		"Lambda-Runtime-Function-Error-Type: Runtime.TruncatedResponse\r\n" +
		"Lambda-Runtime-Function-Error-Body: eyJlcnJvclR5cGUiOiJ4In0=\r\n\r\n" + nextReq)
	if resp, _ := rc.answer(); resp.StatusCode != 202 {
		t.Fatalf("chunked response = %d", resp.StatusCode)
	}
	if o := <-out; o.err != nil || o.res.ErrorType != "Runtime.TruncatedResponse" || string(o.res.Payload) != `{"errorType":"x"}` {
		t.Fatalf("Invoke = %q %q %v", o.res.ErrorType, o.res.Payload, o.err)
	}
	out = invokeAsync(ctx, s, Invocation{RequestID: "r3", Payload: []byte(`3`)})
	if _, body := rc.answer(); body != "3" { // the pipelined /next
		t.Fatalf("pipelined next = %q", body)
	}

	// Calls served through net/http's parser on the same connection: an
	// /error with its header, then an unknown path.
	rc.send("POST /2018-06-01/runtime/invocation/r3/error HTTP/1.1\r\nHost: x\r\n" +
		"Lambda-Runtime-Function-Error-Type: Function.Oops\r\nContent-Length: 2\r\n\r\n{}")
	if resp, _ := rc.answer(); resp.StatusCode != 202 {
		t.Fatalf("error = %d", resp.StatusCode)
	}
	if o := <-out; o.res.ErrorType != "Function.Oops" {
		t.Fatalf("Invoke = %q %v", o.res.ErrorType, o.err)
	}
	rc.send("GET /2018-06-01/runtime/nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, _ := rc.answer(); resp.StatusCode != 404 {
		t.Fatalf("unknown path = %d", resp.StatusCode)
	}
	// A wrong id is refused; the connection closes, its body unread.
	rc.send("POST /2018-06-01/runtime/invocation/nope/response HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
	if resp, body := rc.answer(); resp.StatusCode != 400 || body != string(bodyInvalidRequestID) {
		t.Fatalf("wrong id = %d %q", resp.StatusCode, body)
	}
	if _, err := rc.br.ReadByte(); err != io.EOF {
		t.Fatalf("after a refused post: %v, want EOF", err)
	}
}

// TestLeanConnectionClose: a request that asks to close the connection is
// answered, then the connection closes.
func TestLeanConnectionClose(t *testing.T) {
	s, base := testServer(t, Options{})
	rc := dialRaw(t, base)
	out := invokeAsync(context.Background(), s, Invocation{RequestID: "c1", Payload: []byte(`{}`)})
	rc.send("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if resp, _ := rc.answer(); resp.Header.Get(hdrRequestID) != "c1" {
		t.Fatalf("next = %v", resp.Header)
	}
	if _, err := rc.br.ReadByte(); err != io.EOF {
		t.Fatalf("after Connection: close: %v, want EOF", err)
	}
	s.Exited()
	<-out
}

// TestHeadParse: which request heads are served without net/http.
func TestHeadParse(t *testing.T) {
	cases := []struct {
		name, raw string
		plain     bool
		next      bool
		response  string // the id, when a plain /response
		length    int64
	}{
		{"next", nextReq, true, true, "", 0},
		{"response", "POST /2018-06-01/runtime/invocation/ab-1/response HTTP/1.1\r\ncontent-length: 7\r\n\r\n", true, false, "ab-1", 7},
		{"chunked", "POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n", true, false, "x", -1},
		{"error", "POST /2018-06-01/runtime/invocation/x/error HTTP/1.1\r\nContent-Length: 2\r\n\r\n", true, false, "", 2},
		{"http/1.0", "GET /2018-06-01/runtime/invocation/next HTTP/1.0\r\n\r\n", false, false, "", 0},
		{"extension", "GET /2020-01-01/extension/event/next HTTP/1.1\r\n\r\n", false, false, "", 0},
		{"two lengths", "POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", false, false, "", 0},
		{"length and chunked", "POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", false, false, "", 0},
		{"gzip", "POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", false, false, "", 0},
		{"negative", "POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\nContent-Length: -1\r\n\r\n", false, false, "", 0},
		{"expect", "POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", false, false, "", 0},
		{"streaming", "POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\nLambda-Runtime-Function-Response-Mode: streaming\r\n\r\n", false, false, "", 0},
		{"folded", "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nA: b\r\n c\r\n\r\n", false, false, "", 0},
		{"no colon", "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nAb\r\n\r\n", false, false, "", 0},
		{"space before colon", "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost : x\r\n\r\n", false, false, "", 0},
		{"next with body", "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nContent-Length: 1\r\n\r\n", true, false, "", 1},
		{"escaped id", "POST /2018-06-01/runtime/invocation/a%2Fb/response HTTP/1.1\r\nContent-Length: 1\r\n\r\n", true, false, "", 1},
		{"query", "GET /2018-06-01/runtime/invocation/next?x=1 HTTP/1.1\r\n\r\n", true, false, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var h head
			plain := h.parse([]byte(tc.raw))
			if plain != tc.plain {
				t.Fatalf("plain = %v, want %v", plain, tc.plain)
			}
			if !plain {
				return
			}
			if h.length != tc.length || h.isNext() != tc.next {
				t.Fatalf("length %d next %v", h.length, h.isNext())
			}
			if got := h.isResponse(); got != (tc.response != "") || got && string(h.id) != tc.response {
				t.Fatalf("response %v %q", got, h.id)
			}
		})
	}
}

// FuzzHeadParse: any head either goes to net/http or is one of the two
// calls served here, with a sane length.
func FuzzHeadParse(f *testing.F) {
	f.Add(nextReq)
	f.Add("POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n")
	f.Fuzz(func(t *testing.T, raw string) {
		var h head
		if !h.parse([]byte(raw)) {
			return
		}
		if h.chunked != (h.length == -1) || h.length < -1 {
			t.Fatalf("chunked %v length %d", h.chunked, h.length)
		}
		if h.isResponse() && (len(h.id) == 0 || strings.ContainsAny(string(h.id), "/?%")) {
			t.Fatalf("id %q", h.id)
		}
	})
}

// TestWaitingNext: a GET /next that comes before its invocation is
// answered by Invoke itself — small and large events alike, many times on
// one connection — and one followed by more requests before an invocation
// comes is answered first, in order.
func TestWaitingNext(t *testing.T) {
	s, base := testServer(t, Options{})
	ctx := context.Background()
	rc := dialRaw(t, base)
	big := strings.Repeat("x", 3*inlineDelivery)
	for i := range 50 {
		rc.send(nextReq)
		waitWaiting(t, s, 1)
		payload := `"small"`
		if i%10 == 9 {
			payload = `"` + big + `"`
		}
		out := invokeAsync(ctx, s, Invocation{RequestID: "w", Payload: []byte(payload)})
		if resp, body := rc.answer(); resp.Header.Get(hdrRequestID) != "w" || body != payload {
			t.Fatalf("#%d: next = %v, %d bytes", i, resp.Header, len(body))
		}
		rc.send("POST /2018-06-01/runtime/invocation/w/response HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
		if resp, _ := rc.answer(); resp.StatusCode != 202 {
			t.Fatalf("#%d: response = %d", i, resp.StatusCode)
		}
		if o := <-out; o.err != nil || string(o.res.Payload) != "ok" {
			t.Fatalf("#%d: Invoke = %q %v", i, o.res.Payload, o.err)
		}
	}

	// Pipelined: the waiting GET is withdrawn and parks; its answer comes
	// before the answer to the request behind it.
	rc.send(nextReq)
	waitWaiting(t, s, 1)
	rc.send("GET /2018-06-01/runtime/nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
	waitWaiting(t, s, 0)
	out := invokeAsync(ctx, s, Invocation{RequestID: "p", Payload: []byte(`1`)})
	if resp, _ := rc.answer(); resp.Header.Get(hdrRequestID) != "p" {
		t.Fatalf("first answer = %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := rc.answer(); resp.StatusCode != 404 {
		t.Fatalf("second answer = %d", resp.StatusCode)
	}
	s.Exited()
	<-out

	// A connection that goes away while its GET waits leaves the list.
	rc2 := dialRaw(t, base)
	rc2.send(nextReq)
	waitWaiting(t, s, 1)
	_ = rc2.c.Close()
	waitWaiting(t, s, 0)
}

// waitWaiting waits until n connections have a GET /next waiting.
func waitWaiting(t *testing.T, s *Server, n int) {
	t.Helper()
	for range 500 {
		s.mu.Lock()
		got := len(s.waiting)
		s.mu.Unlock()
		if got == n {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("waiting GETs never became %d", n)
}
