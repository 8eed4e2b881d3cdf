package console

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/activity"
	"github.com/hearth-run/hearth/internal/api/sigv4"
)

// fakeVerifier accepts requests that carry the header X-Signed with the
// signer's access key ID, as a stand-in for SigV4 at the process boundary.
type fakeVerifier struct{}

func (fakeVerifier) Verify(r *http.Request, _ []byte) (sigv4.Identity, error) {
	if r.Header.Get("X-Signed") == "" {
		return sigv4.Identity{}, errors.New("missing signature")
	}
	return sigv4.Identity{AccessKeyID: r.Header.Get("X-Signed")}, nil
}

type clock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestConsole(t *testing.T) (*Console, *activity.Bus, *clock, *httptest.Server) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)}
	bus := activity.New(activity.Options{Now: clk.now})
	c := New(Options{Events: bus, Verifier: fakeVerifier{}, Now: clk.now,
		Secret: func(id string) (string, bool) { return "s3cret", id == "AKIDTEST" }})
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(func() { srv.Close(); c.Close() })
	return c, bus, clk, srv
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t *testing.T, method, u string, hdr map[string]string, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// loginToken asks for a login URL as `hearth console` does.
func loginToken(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	resp := do(t, "GET", srv.URL+"/console/signed/login-url", map[string]string{"X-Signed": "AKIDTEST"}, "")
	var out struct{ URL string }
	if resp.StatusCode != 200 {
		t.Fatalf("login-url: %d", resp.StatusCode)
	}
	if err := jsonDecode(resp, &out); err != nil || !strings.Contains(out.URL, "/console/login?token=") {
		t.Fatalf("login-url answered %+v, %v", out, err)
	}
	return out.URL[strings.Index(out.URL, "/console/"):]
}

func sessionCookie(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, ck := range resp.Cookies() {
		if ck.Name == CookieName {
			return ck
		}
	}
	t.Fatalf("no session cookie (status %d)", resp.StatusCode)
	return nil
}

func TestSignIn(t *testing.T) {
	_, _, clk, srv := newTestConsole(t)
	// Without a session: the sign-in page.
	resp := do(t, "GET", srv.URL+"/console/", nil, "")
	if page := readAll(resp); resp.StatusCode != 200 || !strings.Contains(page, `action="/console/login"`) {
		t.Errorf("console without session: %d %q", resp.StatusCode, page)
	}
	// The login URL needs a signed request.
	if resp := do(t, "GET", srv.URL+"/console/signed/login-url", nil, ""); resp.StatusCode != 403 {
		t.Errorf("unsigned login-url: %d", resp.StatusCode)
	}
	if resp := do(t, "GET", srv.URL+"/console/signed/login-url", map[string]string{"X-Signed": "ASIASESSION"}, ""); resp.StatusCode != 403 {
		t.Errorf("login-url signed by another key: %d", resp.StatusCode)
	}
	path := loginToken(t, srv)
	resp = do(t, "GET", srv.URL+path, map[string]string{"Sec-Fetch-Site": "none"}, "")
	ck := sessionCookie(t, resp)
	if resp.StatusCode != 303 || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/console/" {
		t.Errorf("login: %d, cookie %+v", resp.StatusCode, ck)
	}
	if resp := do(t, "GET", srv.URL+path, nil, ""); resp.StatusCode != 403 {
		t.Errorf("second use of a login URL: %d", resp.StatusCode)
	}
	late := loginToken(t, srv)
	clk.add(3 * time.Minute)
	if resp := do(t, "GET", srv.URL+late, nil, ""); resp.StatusCode != 403 {
		t.Errorf("expired login URL: %d", resp.StatusCode)
	}
	// Sign-in with the keys.
	form := url.Values{"accessKeyId": {"AKIDTEST"}, "secretAccessKey": {"wrong"}}.Encode()
	formHdr := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}
	if resp := do(t, "POST", srv.URL+"/console/login", formHdr, form); resp.StatusCode != 401 {
		t.Errorf("wrong secret: %d", resp.StatusCode)
	}
	form = url.Values{"accessKeyId": {"AKIDTEST"}, "secretAccessKey": {"s3cret"}}.Encode()
	resp = do(t, "POST", srv.URL+"/console/login", formHdr, form)
	sessionCookie(t, resp)
	crossHdr := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example"}
	if resp := do(t, "POST", srv.URL+"/console/login", crossHdr, form); resp.StatusCode != 403 || len(resp.Cookies()) != 0 {
		t.Errorf("cross-site sign-in: %d", resp.StatusCode)
	}
}

func TestAPIGuard(t *testing.T) {
	_, _, clk, srv := newTestConsole(t)
	resp := do(t, "GET", srv.URL+loginToken(t, srv), nil, "")
	ck := sessionCookie(t, resp)
	api := srv.URL + "/console/api/functions"
	tests := []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"no cookie", nil, 401},
		{"forged cookie", map[string]string{"Cookie": CookieName + "=" + randomID()}, 401},
		{"session", map[string]string{"Cookie": ck.String()}, 200},
		{"session, same origin", map[string]string{"Cookie": ck.String(), "Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}, 200},
		{"session, cross-site origin", map[string]string{"Cookie": ck.String(), "Origin": "http://evil.example"}, 403},
		{"session, cross-site fetch", map[string]string{"Cookie": ck.String(), "Sec-Fetch-Site": "cross-site"}, 403},
		{"session, same-site other origin", map[string]string{"Cookie": ck.String(), "Sec-Fetch-Site": "same-site"}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if resp := do(t, "GET", api, tt.hdr, ""); resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
	clk.add(13 * time.Hour)
	if resp := do(t, "GET", api, map[string]string{"Cookie": ck.String()}, ""); resp.StatusCode != 401 {
		t.Errorf("expired session: %d", resp.StatusCode)
	}
}

func TestEventStream(t *testing.T) {
	_, bus, _, srv := newTestConsole(t)
	ck := sessionCookie(t, do(t, "GET", srv.URL+loginToken(t, srv), nil, ""))
	bus.Publish(activity.Event{Kind: activity.EnvInit, Function: "fn", Env: "e1", Reason: "first-invocation"})
	resp := do(t, "GET", srv.URL+"/console/api/events", map[string]string{"Cookie": ck.String()}, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	next := func() string {
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "data: ") {
				return line
			}
		}
		t.Fatalf("stream ended: %v", sc.Err())
		return ""
	}
	if got := next(); !strings.Contains(got, `"kind":"init"`) || !strings.Contains(got, `"seq":1`) {
		t.Errorf("history: %s", got)
	}
	bus.Publish(activity.Event{Kind: activity.InvokeEnd, Function: "fn", Env: "e1", Outcome: "ok", Duration: time.Millisecond})
	if got := next(); !strings.Contains(got, `"kind":"invoke"`) || !strings.Contains(got, `"durationMs":1`) {
		t.Errorf("live: %s", got)
	}
}

func TestSummaries(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)}
	s := newStats(clk.now)
	end := func(d time.Duration, outcome, cold string) {
		s.observe(activity.Event{Kind: activity.InvokeStart, Function: "fn", Qualifier: "$LATEST"})
		s.observe(activity.Event{Kind: activity.InvokeEnd, Time: clk.now(), Function: "fn", Qualifier: "$LATEST",
			Duration: d, Outcome: outcome, ColdReason: cold, InitDuration: 30 * time.Millisecond})
	}
	end(100*time.Millisecond, "ok", "first-invocation")
	clk.add(10 * time.Minute)
	for i := 1; i <= 98; i++ {
		end(time.Duration(i)*time.Millisecond, "ok", "")
	}
	end(500*time.Millisecond, "timeout", "")
	end(2*time.Millisecond, "error", "")
	s.observe(activity.Event{Kind: activity.Throttle, Time: clk.now(), Function: "fn", Qualifier: "$LATEST"})
	s.observe(activity.Event{Kind: activity.InvokeStart, Function: "fn", Qualifier: "$LATEST"})

	five := s.summaries(5 * time.Minute)
	if len(five) != 1 {
		t.Fatalf("summaries: %+v", five)
	}
	got := five[0]
	if got.Invocations != 100 || got.Errors != 2 || got.Timeouts != 1 || got.Throttles != 1 || got.ColdStarts != 0 || got.Concurrent != 1 {
		t.Errorf("5 min: %+v", got)
	}
	// Sorted: 1, 2, 2, 3, …, 98, 500; nearest rank: the 50th and 99th.
	if got.P50MS != 49 || got.P99MS != 98 {
		t.Errorf("5 min p50 %v p99 %v, want 49 and 98", got.P50MS, got.P99MS)
	}
	hour := s.summaries(time.Hour)[0]
	if hour.Invocations != 101 || hour.ColdStarts != 1 || hour.InitP50MS != 30 || hour.ColdRate < 0.0099 || hour.ColdRate > 0.01 {
		t.Errorf("1 h: %+v", hour)
	}
	s.observe(activity.Event{Kind: activity.FunctionDeleted, Function: "fn"})
	if n := len(s.summaries(time.Hour)); n != 0 {
		t.Errorf("after delete: %d series", n)
	}
}

func readAll(resp *http.Response) string {
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
	}
	return b.String()
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
