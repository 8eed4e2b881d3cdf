package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeLogs serves GET /hearth/logs/{name} from memory, standing in for a
// Hearth across the network boundary.
type fakeLogs struct {
	mu      sync.Mutex        // guards streams and order
	streams map[string]string // name -> text
	order   []string          // oldest first
	written map[string]time.Time
}

func (f *fakeLogs) append(stream, text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.streams[stream]; !ok {
		f.order = append(f.order, stream)
	}
	f.streams[stream] += text
	if f.written == nil {
		f.written = map[string]time.Time{}
	}
	f.written[stream] = time.Now()
}

func (f *fakeLogs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.Contains(r.Header.Get("Authorization"), "Credential=ID/") || !strings.Contains(r.Header.Get("Authorization"), "/lambda/aws4_request") {
		w.Header().Set("X-Amzn-ErrorType", "UnrecognizedClientException")
		w.WriteHeader(403)
		w.Write([]byte(`{"message":"unsigned"}`))
		return
	}
	if r.URL.Path != "/hearth/logs/fn" {
		w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
		w.WriteHeader(404)
		w.Write([]byte(`{"Type":"User","message":"Function not found: ` + r.URL.Path + `"}`))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	stream := r.URL.Query().Get("stream")
	if stream == "" {
		var out []Stream
		for i := len(f.order) - 1; i >= 0; i-- {
			out = append(out, Stream{Name: f.order[i], Size: int64(len(f.streams[f.order[i]])), LastWrite: f.written[f.order[i]]})
		}
		json.NewEncoder(w).Encode(map[string]any{"Streams": out})
		return
	}
	off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	text := f.streams[stream]
	w.Write([]byte(text[min(off, len(text)):]))
}

func newFake(t *testing.T) (*fakeLogs, *Client) {
	f := &fakeLogs{streams: map[string]string{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(Options{Endpoint: srv.URL, AccessKeyID: "ID", SecretAccessKey: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func TestLogs(t *testing.T) {
	f, c := newFake(t)
	f.append("s1", "START 1\nEND 1\n")
	f.append("s2", "START 2\npartial")
	f.written["s1"] = time.Now().Add(-time.Hour)
	tests := []struct {
		name string
		opts LogOptions
		want string
	}{
		{"all streams", LogOptions{}, "==> s1 <==\nSTART 1\nEND 1\n\n==> s2 <==\nSTART 2\npartial"},
		{"one stream", LogOptions{Stream: "s2"}, "START 2\npartial"},
		{"last line of each", LogOptions{Lines: 1}, "==> s1 <==\nEND 1\n\n==> s2 <==\npartial"},
		{"last two lines", LogOptions{Lines: 2, Stream: "s1"}, "START 1\nEND 1\n"},
		{"since ten minutes", LogOptions{Since: time.Now().Add(-10 * time.Minute)}, "==> s2 <==\nSTART 2\npartial"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := c.Logs(context.Background(), "fn", tt.opts, &out); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("got %q, want %q", out.String(), tt.want)
			}
		})
	}
}

// watchWriter cancels a context once what was written contains want.
type watchWriter struct {
	mu     sync.Mutex // guards buf
	buf    bytes.Buffer
	want   string
	cancel context.CancelFunc
	seen   chan struct{} // gets a value after every write
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.cancel()
	}
	select {
	case w.seen <- struct{}{}:
	default:
	}
	return len(p), nil
}

func TestLogsFollow(t *testing.T) {
	f, c := newFake(t)
	f.append("s1", "START 1\npart")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w := &watchWriter{want: "REPORT 2\n", cancel: cancel, seen: make(chan struct{}, 1)}
	done := make(chan error, 1)
	go func() { done <- c.Logs(ctx, "fn", LogOptions{Follow: true, Interval: time.Millisecond}, w) }()
	<-w.seen // the first poll wrote the whole lines there were
	f.append("s1", "ial line\n")
	f.append("s2", "START 2\nREPORT 2\n")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("follow never showed the new output; got %q", w.buf.String())
	}
	want := "==> s1 <==\nSTART 1\npartial line\n\n==> s2 <==\nSTART 2\nREPORT 2\n"
	if w.buf.String() != want {
		t.Errorf("got %q, want %q", w.buf.String(), want)
	}
}

func TestAPIError(t *testing.T) {
	_, c := newFake(t)
	_, err := c.Streams(context.Background(), "other")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Type != "ResourceNotFoundException" || !IsNotFound(err) {
		t.Fatalf("err = %#v", err)
	}
	if got := Describe(err); got != "ResourceNotFoundException: Function not found: /hearth/logs/other" {
		t.Errorf("Describe = %q", got)
	}
}
