package api

import (
	"bufio"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzFrontHead holds the Front's head parser against net/http's: any head
// the Front takes must parse with http.ReadRequest into the same method,
// target, host, length and header fields (names canonical), so that the
// handler cannot tell which of the two read it.
func FuzzFrontHead(f *testing.F) {
	for _, seed := range []string{
		"POST /2015-03-31/functions/f/invocations HTTP/1.1\r\nHost: lambda.test\r\nContent-Length: 2\r\nX-Amz-Date: 20261202T010203Z\r\n\r\n",
		"POST /2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A0%3Afunction%3Af/invocations?Qualifier=1 HTTP/1.1\r\nhost: h:1\r\ncontent-length: 0\r\n\r\n",
		"POST /2015-03-31/functions/f/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nx-amz-LOG-type:  Tail \t\r\nA_b: c\r\n\r\n",
		"POST /2015-03-31/functions/f/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST /2015-03-31/functions/./invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
		"POST /2015-03-31/functions/f/invocations HTTP/1.1\r\nHost: x\r\n Folded: y\r\nContent-Length: 0\r\n\r\n",
		"POST /2015-03-31/functions/f/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 007\r\nA: \xff\r\n\r\n",
		"POST /2015-03-31/functions/f/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, head string) {
		var h frontHead
		var canon canonicalizer
		if !strings.HasSuffix(head, "\r\n\r\n") || !h.parse(head, &canon) {
			return
		}
		if !isInvokeLine([]byte(head[:strings.Index(head, "\n")+1])) {
			t.Fatalf("parse took a head whose request line isInvokeLine refuses: %q", head)
		}
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(head)))
		if err != nil {
			t.Fatalf("the Front took a head net/http refuses (%v): %q", err, head)
		}
		if r.Method != http.MethodPost || r.RequestURI != h.target || r.Host != h.host || r.ContentLength != h.length ||
			r.URL.RawQuery != h.query || r.URL.EscapedPath() != h.path {
			t.Fatalf("net/http read %s %q host %q length %d, the Front %q host %q length %d",
				r.Method, r.RequestURI, r.Host, r.ContentLength, h.target, h.host, h.length)
		}
		if _, err := url.PathUnescape(h.name); err == nil && !strings.Contains(h.path, "%") && r.URL.Path != h.path {
			t.Fatalf("path %q, net/http %q", h.path, r.URL.Path)
		}
		if len(r.Header) != len(h.fields) {
			t.Fatalf("net/http read %d header fields, the Front %d: %q", len(r.Header), len(h.fields), head)
		}
		for _, fl := range h.fields {
			if vs := r.Header[fl.name]; len(vs) != 1 || vs[0] != fl.value {
				t.Fatalf("field %q = %q, net/http %q", fl.name, fl.value, vs)
			}
		}
	})
}

// FuzzLoanLength holds the Front's reading of where a lent request ends
// against net/http's: whenever net/http reads the head, it must read a
// body that ends exactly where the Front says the request does, so that
// the next request on the connection is the Front's again.
func FuzzLoanLength(f *testing.F) {
	for _, seed := range []string{
		"GET /2015-03-31/functions HTTP/1.1\r\nHost: x\r\n\r\n",
		"PUT /2015-03-31/functions/f/configuration HTTP/1.1\r\nHost: x\r\ncontent-length: 3\r\nConnection: keep-alive\r\n\r\n",
		"DELETE /hearth/x HTTP/1.1\r\nHost: a.lambda-url.x\r\nContent-Length: 1\r\n\r\n",
		"POST /2015-03-31/functions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, head string) {
		if !strings.HasSuffix(head, "\r\n\r\n") || strings.Count(head, "\r\n\r\n") != 1 {
			return
		}
		n, ok := loanLength([]byte(head))
		if !ok {
			return
		}
		if n < int64(len(head)) || n-int64(len(head)) > 1<<20 {
			if n < int64(len(head)) {
				t.Fatalf("loan of %d bytes for a head of %d", n, len(head))
			}
			return
		}
		body := strings.Repeat("b", int(n)-len(head))
		br := bufio.NewReader(strings.NewReader(head + body + "NEXT"))
		r, err := http.ReadRequest(br)
		if err != nil {
			return // net/http answers 400 and closes: nothing comes back
		}
		got, _ := io.ReadAll(r.Body)
		rest, _ := io.ReadAll(br)
		if string(got) != body || string(rest) != "NEXT" {
			t.Fatalf("net/http read a body of %d bytes and left %q; the Front said %d: %q", len(got), rest, len(body), head)
		}
	})
}
