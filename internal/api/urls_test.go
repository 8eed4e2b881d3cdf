package api

import (
	"encoding/binary"
	"hash/crc32"
	"net/http"
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

func FuzzWriteURLResponse(f *testing.F) {
	f.Add(`{"statusCode":200,"headers":{"a":"b"},"cookies":["c=d"],"body":"x"}`)
	f.Add(`{"statusCode":200,"body":"!!","isBase64Encoded":true}`)
	f.Add(`[1,2]`)
	f.Fuzz(func(t *testing.T, payload string) {
		w := httptest.NewRecorder()
		if writeURLResponse(w, []byte(payload)) && (w.Code < 100 || w.Code > 599) {
			t.Fatalf("status %d for %q", w.Code, payload)
		}
	})
}

// TestURLSinkPrelude: a streamed answer's prelude sets status, headers and
// cookies, however the runtime's reads cut it; what follows is the body.
func TestURLSinkPrelude(t *testing.T) {
	stream := `{"statusCode":202,"headers":{"x-a":"1"},"cookies":["k=v"]}` + "\x00\x00\x00\x00\x00\x00\x00\x00" + "hello body"
	for _, cut := range []int{1, 5, 60, 63, 64, 70, len(stream)} {
		w := httptest.NewRecorder()
		u := &urlSink{w: w, rc: http.NewResponseController(w)}
		_ = u.Begin(httpPreludeType)
		for i := 0; i < len(stream); i += cut {
			if _, err := u.Write([]byte(stream[i:min(i+cut, len(stream))])); err != nil {
				t.Fatal(err)
			}
		}
		u.close()
		if w.Code != 202 || w.Header().Get("X-A") != "1" || w.Header().Get("Set-Cookie") != "k=v" || w.Body.String() != "hello body" {
			t.Fatalf("cut %d: %d %v %q", cut, w.Code, w.Header(), w.Body.String())
		}
	}
}

// TestAppendEvent checks the event stream framing: lengths and both CRCs.
func TestAppendEvent(t *testing.T) {
	msg := appendPayloadChunk(nil, []byte("hi"))
	total := int(binary.BigEndian.Uint32(msg))
	hlen := int(binary.BigEndian.Uint32(msg[4:]))
	if total != len(msg) || crc32.ChecksumIEEE(msg[:8]) != binary.BigEndian.Uint32(msg[8:]) ||
		crc32.ChecksumIEEE(msg[:total-4]) != binary.BigEndian.Uint32(msg[total-4:]) {
		t.Fatalf("bad framing % x", msg)
	}
	if payload := msg[12+hlen : total-4]; string(payload) != "hi" {
		t.Fatalf("payload %q", payload)
	}
	if !strings.Contains(string(msg[12:12+hlen]), "PayloadChunk") {
		t.Fatalf("headers % x", msg[12:12+hlen])
	}
}
