package logs

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// platformLine is a JSON platform line as a reader decodes it.
type platformLine struct {
	Time   string         `json:"time"`
	Type   string         `json:"type"`
	Record map[string]any `json:"record"`
}

func decodeLine(t *testing.T, b []byte) platformLine {
	t.Helper()
	s := string(b)
	if !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
		t.Fatalf("not one line: %q", s)
	}
	var l platformLine
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", l.Time); err != nil {
		t.Errorf("time %q: %v", l.Time, err)
	}
	return l
}

var at = time.Date(2026, 11, 25, 10, 0, 3, 12_345_678, time.FixedZone("x", 3600))

func TestStartJSON(t *testing.T) {
	l := decodeLine(t, AppendStartJSON(nil, at, "req-1", "$LATEST"))
	if l.Time != "2026-11-25T09:00:03.012Z" || l.Type != "platform.start" {
		t.Errorf("time/type = %q %q", l.Time, l.Type)
	}
	if l.Record["requestId"] != "req-1" || l.Record["version"] != "$LATEST" || len(l.Record) != 2 {
		t.Errorf("record = %v", l.Record)
	}
}

func TestRuntimeDoneJSON(t *testing.T) {
	l := decodeLine(t, AppendRuntimeDoneJSON(nil, at, Report{RequestID: "req-2"}))
	if l.Type != "platform.runtimeDone" || l.Record["requestId"] != "req-2" || l.Record["status"] != "success" {
		t.Errorf("line = %+v", l)
	}
	l = decodeLine(t, AppendRuntimeDoneJSON(nil, at, Report{RequestID: "req-2", Status: "timeout"}))
	if l.Record["status"] != "timeout" {
		t.Errorf("timeout record = %v", l.Record)
	}
}

func TestReportJSON(t *testing.T) {
	r := Report{RequestID: "req-3", Duration: 12345 * time.Microsecond, MemorySizeMB: 128, MaxMemoryUsedMB: 35,
		InitDuration: 120450 * time.Microsecond}
	l := decodeLine(t, AppendReportJSON(nil, at, r))
	if l.Type != "platform.report" || l.Record["requestId"] != "req-3" || l.Record["status"] != "success" {
		t.Fatalf("line = %+v", l)
	}
	m, _ := l.Record["metrics"].(map[string]any)
	want := map[string]float64{"durationMs": 12.35, "billedDurationMs": 13, "memorySizeMB": 128,
		"maxMemoryUsedMB": 35, "initDurationMs": 120.45}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("metrics[%s] = %v, want %v", k, m[k], v)
		}
	}
	if len(m) != len(want) {
		t.Errorf("metrics = %v", m)
	}
	// A warm invocation has no initDurationMs; a failed one its status
	// and error type.
	l = decodeLine(t, AppendReportJSON(nil, at, Report{RequestID: "req-4", Duration: time.Millisecond,
		Status: "error", ErrorType: "Runtime.ExitError"}))
	m, _ = l.Record["metrics"].(map[string]any)
	if _, ok := m["initDurationMs"]; ok {
		t.Errorf("warm metrics = %v", m)
	}
	if l.Record["status"] != "error" || l.Record["errorType"] != "Runtime.ExitError" {
		t.Errorf("record = %v", l.Record)
	}
}

func TestInitReportJSON(t *testing.T) {
	l := decodeLine(t, AppendInitReportJSON(nil, at, InitReport{Duration: 45670 * time.Microsecond,
		Phase: "init", Status: "error", ErrorType: "Runtime.ExitError"}))
	if l.Type != "platform.initReport" {
		t.Fatalf("type = %q", l.Type)
	}
	r := l.Record
	if r["initializationType"] != "on-demand" || r["phase"] != "init" || r["status"] != "error" ||
		r["errorType"] != "Runtime.ExitError" {
		t.Errorf("record = %v", r)
	}
	if m, _ := r["metrics"].(map[string]any); m["durationMs"] != 45.67 {
		t.Errorf("metrics = %v", r["metrics"])
	}
}

// TestStreamJSON checks that a stream set to JSON writes every platform
// line of an invocation as a JSON object, END as platform.runtimeDone
// before platform.report, and leaves the function's output alone.
func TestStreamJSON(t *testing.T) {
	s := openStore(t, t.TempDir())
	st, err := s.Create("fn", testStream)
	if err != nil {
		t.Fatal(err)
	}
	st.SetJSON(true)
	st.Start("req-5", "$LATEST")
	_, _ = st.Write([]byte("hello\n"))
	st.End("req-5")
	st.Report(Report{RequestID: "req-5", Duration: time.Millisecond, MemorySizeMB: 128})
	lines := strings.SplitAfter(strings.TrimSuffix(string(st.Tail()), "\n"), "\n")
	if len(lines) != 4 || lines[1] != "hello\n" {
		t.Fatalf("tail = %q", st.Tail())
	}
	types := []string{"platform.start", "", "platform.runtimeDone", "platform.report"}
	for i, typ := range types {
		if typ == "" {
			continue
		}
		l := decodeLine(t, []byte(strings.TrimSuffix(lines[i], "\n")+"\n"))
		if l.Type != typ || l.Record["requestId"] != "req-5" {
			t.Errorf("line %d = %+v, want type %s", i, l, typ)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, s, "fn", testStream); !strings.Contains(got, `"type":"platform.report"`) {
		t.Errorf("file = %q", got)
	}
}
