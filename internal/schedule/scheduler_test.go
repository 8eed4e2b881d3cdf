package schedule

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/store"
)

// fakeClock is a manual clock: Run asks it for timers and the test moves
// time forward.
type fakeClock struct {
	mu      sync.Mutex // guards now and timers
	now     time.Time
	timers  []fakeTimer
	waiting chan time.Duration // one value per After call: Run is about to block
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, waiting: make(chan time.Duration, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	ch := make(chan time.Time, 1)
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	c.mu.Unlock()
	c.waiting <- d
	return ch
}

// advance moves the clock and fires the timers that are due.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if tm.at.After(c.now) {
			kept = append(kept, tm)
			continue
		}
		tm.ch <- c.now
	}
	c.timers = kept
}

// staticRules is a RuleSource the test can change.
type staticRules struct {
	mu    sync.Mutex // guards rules
	rules []*store.Rule
}

func (s *staticRules) ListRules() ([]*store.Rule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*store.Rule(nil), s.rules...), nil
}

func (s *staticRules) set(rules ...*store.Rule) {
	s.mu.Lock()
	s.rules = rules
	s.mu.Unlock()
}

// firings records Fire calls.
type firings struct {
	mu  sync.Mutex // guards got
	got []firing
}

type firing struct {
	rule string
	at   time.Time
}

func (f *firings) fire(_ context.Context, r store.Rule, t time.Time) {
	f.mu.Lock()
	f.got = append(f.got, firing{r.Name, t})
	f.mu.Unlock()
}

func (f *firings) list() []firing {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]firing(nil), f.got...)
}

func runScheduler(t *testing.T, s *Scheduler) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 30, 0, time.UTC)

func TestRateFiresEveryMinute(t *testing.T) {
	clk := newFakeClock(t0)
	rules := &staticRules{}
	rules.set(&store.Rule{Name: "warmer", ScheduleExpression: "rate(1 minute)", State: store.RuleEnabled},
		&store.Rule{Name: "off", ScheduleExpression: "rate(1 minute)", State: store.RuleDisabled})
	var f firings
	stop := runScheduler(t, New(Options{Rules: rules, Fire: f.fire, Now: clk.Now, After: clk.After}))
	const n = 30
	for range n {
		if d := <-clk.waiting; d != time.Minute {
			t.Fatalf("waits %v, want 1m", d)
		}
		clk.advance(time.Minute)
	}
	<-clk.waiting // Run blocks again after the last firing
	stop()
	got := f.list()
	if len(got) != n {
		t.Fatalf("fired %d times in %d minutes, want %d", len(got), n, n)
	}
	seen := map[time.Time]bool{}
	for _, g := range got {
		seen[g.at] = true
		if g.rule != "warmer" {
			t.Errorf("fired disabled rule %s", g.rule)
		}
	}
	for i := 1; i <= n; i++ { // counted from when the rule was loaded
		if want := t0.Add(time.Duration(i) * time.Minute); !seen[want] {
			t.Errorf("no firing at %v", want)
		}
	}
}

func TestMissedFiringsAreNotReplayed(t *testing.T) {
	clk := newFakeClock(t0)
	rules := &staticRules{}
	rules.set(&store.Rule{Name: "warmer", ScheduleExpression: "rate(1 minute)", State: store.RuleEnabled})
	var f firings
	stop := runScheduler(t, New(Options{Rules: rules, Fire: f.fire, Now: clk.Now, After: clk.After}))
	<-clk.waiting
	clk.advance(time.Hour) // the process was stopped for an hour
	if d := <-clk.waiting; d <= 0 || d > time.Minute {
		t.Errorf("next wait %v, want within a minute", d)
	}
	stop()
	if got := f.list(); len(got) != 1 {
		t.Errorf("fired %d times after a one-hour gap, want 1", len(got))
	}
}

func TestReloadPicksUpChanges(t *testing.T) {
	clk := newFakeClock(t0)
	rules := &staticRules{}
	rules.set(&store.Rule{Name: "slow", ScheduleExpression: "rate(5 minutes)", State: store.RuleEnabled})
	var f firings
	s := New(Options{Rules: rules, Fire: f.fire, Now: clk.Now, After: clk.After})
	stop := runScheduler(t, s)
	if d := <-clk.waiting; d != 5*time.Minute {
		t.Fatalf("first wait %v, want 5m", d)
	}
	rules.set(&store.Rule{Name: "slow", ScheduleExpression: "rate(5 minutes)", State: store.RuleDisabled},
		&store.Rule{Name: "fast", ScheduleExpression: "cron(* * * * ? *)", State: store.RuleEnabled},
		&store.Rule{Name: "broken", ScheduleExpression: "rate(1 minutes)", State: store.RuleEnabled})
	s.Reload()
	if d := <-clk.waiting; d != 30*time.Second { // to 12:01:00
		t.Fatalf("wait after reload %v, want 30s", d)
	}
	clk.advance(30 * time.Second)
	for range 4 {
		if d := <-clk.waiting; d != time.Minute {
			t.Fatalf("cron wait %v, want 1m", d)
		}
		clk.advance(time.Minute)
	}
	<-clk.waiting
	stop()
	got := f.list()
	for _, g := range got {
		if g.rule != "fast" {
			t.Errorf("fired %s after reload", g.rule)
		}
	}
	if len(got) != 5 {
		t.Errorf("cron rule fired %d times in 5 minutes, want 5", len(got))
	}
}

func TestScheduledEvent(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 1, 0, 0, time.UTC)
	var ev map[string]any
	if err := json.Unmarshal(ScheduledEvent("123456789012", "us-east-1", "arn:aws:events:us-east-1:123456789012:rule/warmer", at), &ev); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"version": "0", "detail-type": "Scheduled Event", "source": "aws.events",
		"account": "123456789012", "region": "us-east-1", "time": "2026-03-01T12:01:00Z"}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("%s = %v, want %v", k, ev[k], v)
		}
	}
	if r, ok := ev["resources"].([]any); !ok || len(r) != 1 || r[0] != "arn:aws:events:us-east-1:123456789012:rule/warmer" {
		t.Errorf("resources = %v", ev["resources"])
	}
	if id, _ := ev["id"].(string); len(id) != 36 {
		t.Errorf("id = %q", id)
	}
}
