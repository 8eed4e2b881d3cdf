package metrics

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	r := New()
	s := Series{Function: "fn", Qualifier: "$LATEST"}
	done := r.Start(s, "first-invocation", false, false)
	done()
	r.Start(s, "", false, false)
	r.Throttled(s)
	h := Handler(r, func() []Gauge {
		return []Gauge{{Name: "hearth_async_queue_depth", Help: "Events stored.", Type: "gauge", Value: 3}}
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		"# TYPE hearth_invocations_total counter\n",
		`hearth_invocations_total{function="fn",qualifier="$LATEST"} 2` + "\n",
		`hearth_cold_starts_total{function="fn",qualifier="$LATEST",reason="first-invocation"} 1` + "\n",
		`hearth_throttles_total{function="fn",qualifier="$LATEST"} 1` + "\n",
		`hearth_concurrent_executions{function="fn",qualifier="$LATEST"} 1` + "\n",
		"hearth_async_queue_depth 3\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("exposition lacks %q:\n%s", want, body)
		}
	}
	if strings.Count(body, "# TYPE hearth_invocations_total") != 1 {
		t.Errorf("a family's TYPE line must appear once:\n%s", body)
	}
	if got := escapeLabel("a\"b\\c\nd"); got != `a\"b\\c\nd` {
		t.Errorf("escapeLabel = %q", got)
	}
}
