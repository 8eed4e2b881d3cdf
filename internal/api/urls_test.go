package api

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestURLHostID(t *testing.T) {
	id := strings.Repeat("a1", 16)
	cases := []struct {
		name, host, want string
	}{
		{"with port", id + ".lambda-url.us-east-1.localhost:9911", id},
		{"without port", id + ".lambda-url.eu-west-1.example.com", id},
		{"upper case", strings.ToUpper(id) + ".LAMBDA-URL.us-east-1.localhost", id},
		{"api host", "127.0.0.1:9911", ""},
		{"short id", "abc.lambda-url.us-east-1.localhost", ""},
		{"other service", id + ".execute-api.us-east-1.localhost", ""},
		{"bad character", strings.Repeat("a", 31) + "_.lambda-url.x", ""},
		{"empty", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := urlHostID(c.host); got != c.want {
				t.Fatalf("urlHostID(%q) = %q, want %q", c.host, got, c.want)
			}
		})
	}
}

func FuzzURLHostID(f *testing.F) {
	f.Add(strings.Repeat("b", 32) + ".lambda-url.r.localhost:1")
	f.Add("[::1]:80")
	f.Fuzz(func(t *testing.T, host string) {
		id := urlHostID(host)
		if id != "" && !urlIDRE.MatchString(id) {
			t.Fatalf("urlHostID(%q) = %q", host, id)
		}
	})
}

func TestWriteURLResponse(t *testing.T) {
	cases := []struct {
		name, payload string
		ok            bool
		status        int
		body, ctype   string
	}{
		{"object without statusCode", `{"a":1}`, true, 200, `{"a":1}`, "application/json"},
		{"string", `"hi"`, true, 200, `"hi"`, "application/json"},
		{"full", `{"statusCode":418,"headers":{"content-type":"text/plain"},"body":"tea"}`, true, 418, "tea", "text/plain"},
		{"base64", `{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`, true, 200, "hi", "application/json"},
		{"bad base64", `{"statusCode":200,"body":"!!","isBase64Encoded":true}`, false, 0, "", ""},
		{"bad status", `{"statusCode":9000}`, false, 0, "", ""},
		{"not json", `nope`, false, 0, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			ok := writeURLResponse(w, []byte(c.payload))
			if ok != c.ok {
				t.Fatalf("ok = %v", ok)
			}
			if !ok {
				return
			}
			if w.Code != c.status || w.Body.String() != c.body || w.Header().Get("Content-Type") != c.ctype {
				t.Fatalf("got %d %q %q", w.Code, w.Body.String(), w.Header().Get("Content-Type"))
			}
		})
	}
}
