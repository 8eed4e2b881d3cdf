package logs

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is an injectable clock for event times and retention.
type fakeClock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func clockStore(t *testing.T) (*Store, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	s, err := Open(Options{Dir: t.TempDir(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s, clock
}

func messages(events []Event) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString(e.Message)
	}
	return b.String()
}

// TestEventTimes: every line gets the time it was written, also when
// several lines share a write or a line spans writes.
func TestEventTimes(t *testing.T) {
	s, clock := clockStore(t)
	st, err := s.Create("fn", "2026/11/01/[$LATEST]abc")
	if err != nil {
		t.Fatal(err)
	}
	t0 := clock.Now()
	st.Write([]byte("one\ntwo\n"))
	clock.Advance(1500 * time.Millisecond)
	st.Write([]byte("thr"))
	clock.Advance(time.Second)
	st.Write([]byte("ee\nfour\n"))
	st.flush()
	clock.Advance(time.Minute)
	st.Write([]byte("five\n"))
	events, err := s.Events("fn", "2026/11/01/[$LATEST]abc")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		msg string
		at  time.Duration
	}{{"one\n", 0}, {"two\n", 0}, {"three\n", 1500 * time.Millisecond}, {"four\n", 2500 * time.Millisecond}, {"five\n", 62500 * time.Millisecond}}
	if len(events) != len(want) {
		t.Fatalf("events %q", messages(events))
	}
	for i, w := range want {
		if events[i].Message != w.msg || !events[i].Time.Equal(t0.Add(w.at)) {
			t.Errorf("event %d = %q at %v, want %q at %v", i, events[i].Message, events[i].Time, w.msg, t0.Add(w.at))
		}
	}
	st.Close()
	// The index survives the stream: a new Store reads the same times.
	s2 := openStore(t, s.dir)
	again, err := s2.Events("fn", "2026/11/01/[$LATEST]abc")
	if err != nil || len(again) != len(events) || !again[4].Time.Equal(events[4].Time) {
		t.Fatalf("after reopen: %v %v", again, err)
	}
}

// TestRetention: with a retention of one day, events older than a day go
// (the stream open for writing keeps working), newer ones stay.
func TestRetention(t *testing.T) {
	s, clock := clockStore(t)
	open, err := s.Create("fn", "open")
	if err != nil {
		t.Fatal(err)
	}
	old, err := s.Create("fn", "old")
	if err != nil {
		t.Fatal(err)
	}
	old.Write([]byte("ancient\n"))
	old.Close()
	open.Write([]byte("old line 1\nold line 2\n"))
	open.flush()
	clock.Advance(30 * time.Hour)
	open.Write([]byte("new line\n"))
	if n, err := s.Expire(); n != 0 || err != nil {
		t.Fatalf("expire without retention removed %d: %v", n, err)
	}
	if err := s.PutRetention("fn", 1); err != nil {
		t.Fatal(err)
	}
	if g, err := s.Group("fn"); err != nil || g.RetentionDays != 1 {
		t.Fatalf("group %+v %v", g, err)
	}
	n, err := s.Expire()
	if err != nil || n != 3 {
		t.Fatalf("expire removed %d: %v", n, err)
	}
	if _, err := s.Events("fn", "old"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("fully expired stream: %v", err)
	}
	events, _ := s.Events("fn", "open")
	if messages(events) != "new line\n" {
		t.Fatalf("open stream after expiry: %q", messages(events))
	}
	open.Write([]byte("after\n"))
	events, _ = s.Events("fn", "open")
	if messages(events) != "new line\nafter\n" || !events[0].Time.Equal(clock.Now()) {
		t.Fatalf("open stream written after expiry: %q %v", messages(events), events)
	}
	if err := s.DeleteGroup("fn"); err != nil {
		t.Fatal(err)
	}
	if events, _ := s.Events("fn", "open"); len(events) != 0 {
		t.Fatalf("events after deleting the group: %q", messages(events))
	}
	open.Close()
}

func TestPattern(t *testing.T) {
	tests := []struct {
		pattern string
		match   []string
		miss    []string
	}{
		{"", []string{"anything", ""}, nil},
		{"ERROR", []string{"an ERROR here"}, []string{"an error here"}},
		{"ERROR timeout", []string{"ERROR: timeout"}, []string{"ERROR only", "timeout only"}},
		{`"disk full"`, []string{"the disk full now"}, []string{"disk is full"}},
		{"?ERROR ?WARN", []string{"ERROR x", "WARN y"}, []string{"INFO z"}},
		{"ERROR -retry", []string{"ERROR final"}, []string{"ERROR will retry"}},
		{`request -"health check" ?GET ?POST`, []string{"request GET /"}, []string{"request GET health check", "request PUT"}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			p, err := ParsePattern(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range tt.match {
				if !p.Match(m) {
					t.Errorf("%q does not match %q", tt.pattern, m)
				}
			}
			for _, m := range tt.miss {
				if p.Match(m) {
					t.Errorf("%q matches %q", tt.pattern, m)
				}
			}
		})
	}
	for _, bad := range []string{`{ $.level = "ERROR" }`, `[ip, user, status=5*]`} {
		if _, err := ParsePattern(bad); !errors.Is(err, ErrUnsupportedPattern) {
			t.Errorf("ParsePattern(%q): %v", bad, err)
		}
	}
	if _, err := ParsePattern(`"open`); !errors.Is(err, ErrInvalidPattern) {
		t.Errorf("unterminated quote: %v", err)
	}
}

func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{"", "a b", `?"x y" -z`, `"`, "-", "?"} {
		f.Add(s, "message")
	}
	f.Fuzz(func(t *testing.T, pattern, msg string) {
		p, err := ParsePattern(pattern)
		if err == nil {
			p.Match(msg)
		}
	})
}
