package schedule

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hearth-run/hearth/internal/store"
)

// RuleSource lists the current rules. Hearth's store implements it.
type RuleSource interface {
	ListRules() ([]*store.Rule, error)
}

// Options configures a Scheduler. Zero values take the documented defaults.
type Options struct {
	// Rules lists the rules; it is read by Run at start and on Reload.
	// Required.
	Rules RuleSource
	// Fire handles one firing of a rule scheduled for t; a target's empty
	// Input means the scheduled event. It runs on its own goroutine, so a
	// slow target does not delay other rules; Run waits for it before
	// returning. Required.
	Fire func(ctx context.Context, rule store.Rule, t time.Time)
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// After waits for a duration, as time.After (the default) does.
	After func(d time.Duration) <-chan time.Time
	// Logger receives operational messages. Default slog.Default().
	Logger *slog.Logger
}

// Scheduler fires enabled rules at their scheduled times.
type Scheduler struct {
	opts   Options
	log    *slog.Logger
	reload chan struct{} // capacity 1: a pending reload
}

// New returns a Scheduler; Run starts it.
func New(opts Options) *Scheduler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.After == nil {
		opts.After = time.After
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Scheduler{opts: opts, log: opts.Logger.With("component", "schedule"), reload: make(chan struct{}, 1)}
}

// Reload makes Run read the rules again; call it after rules change.
// Unchanged rules keep their timetable; new or changed ones start from now.
func (s *Scheduler) Reload() {
	select {
	case s.reload <- struct{}{}:
	default:
	}
}

// entry is one enabled rule's timetable.
type entry struct {
	rule  store.Rule
	sched Schedule
	next  time.Time // zero: never again
}

// Run fires rules until ctx is done, then waits for the firings it started
// and returns nil.
func (s *Scheduler) Run(ctx context.Context) error {
	var fires sync.WaitGroup // every Fire goroutine started below
	defer fires.Wait()
	entries := map[string]*entry{}
	s.load(entries)
	for {
		var timer <-chan time.Time
		if next := earliest(entries); !next.IsZero() {
			timer = s.opts.After(max(next.Sub(s.opts.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.reload:
			s.load(entries)
		case <-timer:
			s.fireDue(ctx, entries, &fires)
		}
	}
}

// load brings entries in line with the rule source.
func (s *Scheduler) load(entries map[string]*entry) {
	rules, err := s.opts.Rules.ListRules()
	if err != nil {
		s.log.Error("reading rules failed, keeping the current ones", "err", err)
		return
	}
	now := s.opts.Now()
	seen := map[string]bool{}
	for _, r := range rules {
		if r.State != store.RuleEnabled {
			continue
		}
		seen[r.Name] = true
		if e := entries[r.Name]; e != nil && e.rule.ScheduleExpression == r.ScheduleExpression {
			e.rule = *r // targets may have changed; the timetable has not
			continue
		}
		sched, err := Parse(r.ScheduleExpression)
		if err != nil {
			s.log.Warn("rule has an invalid schedule, skipped", "rule", r.Name,
				"expression", r.ScheduleExpression, "err", err)
			delete(entries, r.Name)
			continue
		}
		entries[r.Name] = &entry{rule: *r, sched: sched, next: sched.Next(now)}
	}
	for name := range entries {
		if !seen[name] {
			delete(entries, name)
		}
	}
}

// fireDue fires every rule whose time has come and moves it to its next
// time. A rule late by more than one period fires once and continues from
// now: missed firings are not replayed.
func (s *Scheduler) fireDue(ctx context.Context, entries map[string]*entry, fires *sync.WaitGroup) {
	now := s.opts.Now()
	for _, e := range entries {
		if e.next.IsZero() || e.next.After(now) {
			continue
		}
		rule, at := e.rule, e.next
		fires.Go(func() { s.opts.Fire(ctx, rule, at) })
		e.next = e.sched.Next(at)
		if !e.next.IsZero() && !e.next.After(now) {
			e.next = e.sched.Next(now)
		}
	}
}

func earliest(entries map[string]*entry) time.Time {
	var t time.Time
	for _, e := range entries {
		if !e.next.IsZero() && (t.IsZero() || e.next.Before(t)) {
			t = e.next
		}
	}
	return t
}
