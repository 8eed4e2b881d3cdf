package runtimes

import (
	"encoding/json"
	"strings"
	"testing"
)

// wantPost is what a bootstrap must post for one event (or for init).
type wantPost struct {
	kind      string   // "response", "error" or "init"
	body      string   // exact body when not empty
	errorType string   // for errors: both the header and the document's errorType
	contains  []string // substrings of the body
}

// bootstrapCase is one handler run by a real bootstrap process.
type bootstrapCase struct {
	name     string
	runtime  string // defaults to the suite's runtime
	files    map[string]string
	handler  string
	events   []fakeEvent
	want     []wantPost // one per event; a single "init" want for init failures
	logs     []string   // substrings of the process output
	logCount map[string]int
}

func ev(id, body string) fakeEvent { return fakeEvent{id: id, body: body} }

func runBootstrapCases(t *testing.T, runtime string, cases []bootstrapCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rt := runtime
			if tc.runtime != "" {
				rt = tc.runtime
			}
			p := startBootstrap(t, rt, tc.files, tc.handler)
			if len(tc.want) == 1 && tc.want[0].kind == "init" {
				got := p.api.wait(t, p.out)
				checkPost(t, got, tc.want[0], "", p.out)
				if err := p.waitExit(t); err == nil {
					t.Errorf("bootstrap exited 0 after an init error")
				}
			} else {
				for i, e := range tc.events {
					got := p.invoke(t, e)
					checkPost(t, got, tc.want[i], e.id, p.out)
				}
			}
			out := p.stop(t)
			t.Logf("output:\n%s", out)
			for _, s := range tc.logs {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q; output:\n%s", s, out)
				}
			}
			for s, n := range tc.logCount {
				if c := strings.Count(out, s); c != n {
					t.Errorf("output has %q %d times, want %d; output:\n%s", s, c, n, out)
				}
			}
		})
	}
}

func checkPost(t *testing.T, got posted, want wantPost, id string, out *lockedBuffer) {
	t.Helper()
	t.Logf("posted %s %s [%s]: %s", got.kind, got.id, got.errorType, got.body)
	if got.kind != want.kind || got.id != id {
		t.Fatalf("posted %s for %q (%s), want %s for %q; output:\n%s",
			got.kind, got.id, got.body, want.kind, id, out.String())
	}
	if want.body != "" && got.body != want.body {
		t.Errorf("body = %s, want %s", got.body, want.body)
	}
	for _, s := range want.contains {
		if !strings.Contains(got.body, s) {
			t.Errorf("body %s lacks %q", got.body, s)
		}
	}
	if got.kind == "response" {
		if !json.Valid([]byte(got.body)) {
			t.Errorf("response is not JSON: %s", got.body)
		}
		return
	}
	var doc struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if err := json.Unmarshal([]byte(got.body), &doc); err != nil {
		t.Fatalf("error document %s: %v", got.body, err)
	}
	if doc.ErrorType != want.errorType || got.errorType != want.errorType {
		t.Errorf("errorType = %q (header %q), want %q; body %s", doc.ErrorType, got.errorType, want.errorType, got.body)
	}
}
