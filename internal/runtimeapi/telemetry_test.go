package runtimeapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestTelemetrySubscription: a subscriber gets Init's events from before
// its subscription and each invocation's platform.start and
// platform.runtimeDone, posted as JSON arrays; bad subscriptions are
// refused.
func TestTelemetrySubscription(t *testing.T) {
	got := make(chan string, 100)
	listener := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var events []struct {
			Type   string          `json:"type"`
			Record json.RawMessage `json:"record"`
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &events); err != nil {
			t.Errorf("delivery is not a JSON array: %q", b)
		}
		for _, ev := range events {
			got <- ev.Type + " " + string(ev.Record)
		}
	}))
	defer listener.Close()
	s, base := testServer(t, Options{Info: ExtensionInfo{FunctionName: "f", FunctionVersion: "3"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	id := do(t, ctx, "POST", base+testExtPrefix+"register", strings.NewReader(`{"events":[]}`),
		map[string]string{"Lambda-Extension-Name": "sub"}).header.Get("Lambda-Extension-Identifier")
	hdr := map[string]string{"Lambda-Extension-Identifier": id}
	bad := []string{
		`{"schemaVersion":"2021-01-01","destination":{"protocol":"HTTP","URI":"` + listener.URL + `"},"types":["platform"]}`,
		`{"schemaVersion":"2022-12-13","destination":{"protocol":"TCP","URI":"` + listener.URL + `"},"types":["platform"]}`,
		`{"schemaVersion":"2022-12-13","destination":{"protocol":"HTTP","URI":"` + listener.URL + `"},"types":["nope"]}`,
		`{"schemaVersion":"2022-12-13","destination":{"protocol":"HTTP","URI":"` + listener.URL + `"},"types":["platform"],"buffering":{"timeoutMs":5}}`,
	}
	for _, b := range bad {
		if r := do(t, ctx, "PUT", base+"/2022-07-01/telemetry", strings.NewReader(b), hdr); r.status != 400 {
			t.Errorf("subscription %s = %d, want 400", b, r.status)
		}
	}
	sub := `{"schemaVersion":"2022-12-13","destination":{"protocol":"HTTP","URI":"` + listener.URL +
		`"},"types":["platform"],"buffering":{"timeoutMs":25}}`
	if r := do(t, ctx, "PUT", base+"/2022-07-01/telemetry", strings.NewReader(sub), nil); r.status != 403 {
		t.Errorf("subscription without an extension id = %d", r.status)
	}
	if r := do(t, ctx, "PUT", base+"/2022-07-01/telemetry", strings.NewReader(sub), hdr); r.status != 200 || r.body != "OK" {
		t.Fatalf("subscription = %d %q", r.status, r.body)
	}
	asyncGet(t, ctx, base+testExtPrefix+"event/next", hdr)
	next := asyncGet(t, ctx, base+testPrefix+"invocation/next", nil)
	<-s.Ready()
	out := invokeAsync(ctx, s, Invocation{RequestID: "req-7", Payload: []byte(`{}`)})
	<-next
	do(t, ctx, "POST", base+testPrefix+"invocation/req-7/response", strings.NewReader(`"hi"`), nil)
	<-out
	want := []string{
		`platform.initStart {"functionName":"f","functionVersion":"3","initializationType":"on-demand","phase":"init"}`,
		`platform.initRuntimeDone {"initializationType":"on-demand","phase":"init","status":"success"}`,
		`platform.initReport {"initializationType":"on-demand","metrics":{"durationMs":`,
		`platform.start {"requestId":"req-7","version":"3"}`,
		`platform.runtimeDone {"metrics":{"durationMs":`,
	}
	for _, w := range want {
		select {
		case ev := <-got:
			if !strings.HasPrefix(ev, w) {
				t.Errorf("event %q, want %q…", ev, w)
			}
			if strings.HasPrefix(w, "platform.runtimeDone") && !strings.Contains(ev, `"producedBytes":4},"requestId":"req-7","status":"success"}`) {
				t.Errorf("runtimeDone = %q", ev)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %q delivered", w)
		}
	}
}
