package sigv4

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzVerify feeds arbitrary Authorization headers, request targets and
// dates to Verify, which must answer every one without panicking.
func FuzzVerify(f *testing.F) {
	w := sdkSigned(f, "POST", "http://"+testHost+arnPath+"?Qualifier=1", [][2]string{{"Content-Type", "application/json"}},
		[]byte(`{}`), "lambda", testTime)
	r, _ := w.parse(f)
	f.Add(r.Header.Get("Authorization"), r.RequestURI, r.Header.Get("X-Amz-Date"), "application/json")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/lambda/aws4_request, SignedHeaders=content-length;host;x-amz-date, Signature=00",
		"//a/./../b?x=%zz&y", "Wed, 25 Nov 2026 17:31:27 GMT", "")
	f.Add("", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261125%2Fus-east-1%2Flambda%2Faws4_request"+
		"&X-Amz-Date=20261125T173127Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-amz-date&X-Amz-Signature=ab", "", "")
	f.Add("Bearer x", "http://h/p", "", "")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/lambda/aws4_request,SignedHeaders=host;x-amz-date;content-type;transfer-encoding,Signature=x",
		"*", "20261125T173127Z", " a  b ")
	v := testVerifier(testTime)
	f.Fuzz(func(t *testing.T, auth, target, date, ctype string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			u = &url.URL{Path: target}
		}
		r := &http.Request{
			Method:        "POST",
			URL:           u,
			RequestURI:    target,
			Host:          testHost,
			ContentLength: -1,
			Header: http.Header{
				"Authorization": {auth},
				"X-Amz-Date":    {date},
				"Date":          {date},
				"Content-Type":  {ctype},
			},
		}
		_, err = v.Verify(r, []byte(ctype))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
		}
	})
}

// FuzzParseAuthorization checks the Authorization parser on arbitrary
// headers: it never panics, every value it returns was in the header, and
// checking the signed header list costs no more than one pass over it.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab")
	f.Add("AWS4-HMAC-SHA256 Credential=a,SignedHeaders=,Signature=b Signature=c")
	f.Add("Bearer x")
	f.Add("  \t,,=")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseAuthorization(h)
		if err != nil {
			if len(err.Message) > 2*maxQuoted+200 {
				t.Fatalf("error message of %d bytes", len(err.Message))
			}
			return
		}
		for _, v := range []string{a.algorithm, a.credential, a.signedHeaders, a.signature} {
			if !strings.Contains(h, v) {
				t.Fatalf("parsed value %q is not in the header %q", v, h)
			}
		}
		_ = checkSignedHeaders(a.signedHeaders)
	})
}

// FuzzCanonicalize signs arbitrary requests with aws-sdk-go-v2's signer, the
// oracle, and checks that Hearth's hand-written canonicalisation verifies
// every one of them, and refuses it once the signed header changes.
func FuzzCanonicalize(f *testing.F) {
	f.Add("/2015-03-31/functions/my-fn/invocations", "Qualifier=%24LATEST", " a  b ", "x-custom", []byte(`{}`))
	f.Add("/a%2Fb/%7Euser/caf%C3%A9", "b=2&a=3&a=1&c", "v", "x-multi", []byte(nil))
	f.Add("/", "Marker=a%20b%2Bc%2F%3D", "\tx\t", "content-type", []byte("body"))
	v := testVerifier(testTime)
	f.Fuzz(func(t *testing.T, path, query, value, name string, body []byte) {
		path = "/" + strings.TrimLeft(path, "/")
		u, err := url.Parse("http://" + testHost + path + "?" + query)
		if err != nil || strings.Contains(path, "//") || strings.Contains(path, "/.") || u.RawPath != "" && u.RawPath != u.EscapedPath() {
			return // a path a client would normalise before signing
		}
		if !validHeader(name, value) {
			return
		}
		w := sdkSigned(t, "POST", u.String(), [][2]string{{"X-Fuzz-" + name, value}}, body, "lambda", testTime)
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(w)))
		if err != nil {
			return // not a request the server would accept
		}
		got, _ := io.ReadAll(r.Body)
		if _, err := v.Verify(r, got); err != nil {
			t.Fatalf("SDK-signed request refused: %v\n%q", err, w)
		}
		r.Header.Set("X-Fuzz-"+name, value+"!")
		if _, err := v.Verify(r, got); err == nil {
			t.Fatalf("request verified after a signed header changed\n%q", w)
		}
	})
}

// validHeader reports whether a header name and value can travel on the
// wire unchanged: a token name, a value without control bytes and without
// leading or trailing whitespace that a parser would drop.
func validHeader(name, value string) bool {
	if name == "" || len(name) > 64 || value == "" || strings.TrimSpace(value) != value {
		return false
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	for _, c := range []byte(value) {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}
