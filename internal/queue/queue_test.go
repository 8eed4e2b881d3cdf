package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestReservedConcurrencyOne is the seed's scenario: reserved concurrency 1
// and six events arriving at once are processed one after another by one
// environment, and none is lost.
func TestReservedConcurrencyOne(t *testing.T) {
	db, _ := tempDB(t)
	inv := &fakeInvoker{respond: func(ctx context.Context, ev *Event, n int) (Outcome, error) {
		time.Sleep(2 * time.Millisecond)
		return Outcome{}, nil
	}}
	q, err := New(fastOptions(db, inv, &fakeConfigs{concurrency: map[string]int{"thumbs": 1}}))
	if err != nil {
		t.Fatal(err)
	}
	start(t, q)
	var wg sync.WaitGroup
	ids := make(chan string, 6)
	for i := range 6 {
		wg.Go(func() {
			id, err := q.Enqueue(context.Background(), Event{Function: "thumbs", Payload: fmt.Appendf(nil, `{"object":%d}`, i)})
			if err != nil {
				t.Error(err)
			}
			ids <- id
		})
	}
	wg.Wait()
	close(ids)
	waitFor(t, "six deliveries", func() bool { return len(inv.callsOf("thumbs")) == 6 && q.Stats().Depth == 0 })
	seen := map[string]bool{}
	for _, c := range inv.callsOf("thumbs") {
		seen[c.ID] = true
	}
	for id := range ids {
		if !seen[id] {
			t.Errorf("event %s never delivered", id)
		}
	}
	if got := inv.maxPer["thumbs"]; got != 1 {
		t.Errorf("max concurrent invocations = %d, want 1", got)
	}
	if st := q.Stats(); st.Succeeded != 6 || st.Enqueued != 6 {
		t.Errorf("stats = %+v, want 6 enqueued and succeeded", st)
	}
}

func TestMaxInFlightAcrossFunctions(t *testing.T) {
	db, _ := tempDB(t)
	inv := &fakeInvoker{respond: func(ctx context.Context, ev *Event, n int) (Outcome, error) {
		time.Sleep(time.Millisecond)
		return Outcome{}, nil
	}}
	opts := fastOptions(db, inv, nil)
	opts.MaxInFlight = 2
	q, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for f := range 8 {
		for range 3 {
			if _, err := q.Enqueue(context.Background(), Event{Function: fmt.Sprintf("fn%d", f)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	start(t, q)
	waitFor(t, "24 deliveries", func() bool { return q.Stats().Succeeded == 24 })
	if inv.maxTotal > 2 {
		t.Errorf("max in flight = %d, want <= 2", inv.maxTotal)
	}
}

// outcomes builds a respond func from a script of function errors per call
// ("" = success); the destination functions always succeed.
func outcomes(script ...string) func(context.Context, *Event, int) (Outcome, error) {
	return func(_ context.Context, ev *Event, n int) (Outcome, error) {
		if ev.Function != "fn" {
			return Outcome{}, nil
		}
		if fe := script[min(n, len(script)-1)]; fe != "" {
			return Outcome{FunctionError: fe, Payload: []byte(`{"errorMessage":"boom","errorType":"Error"}`)}, nil
		}
		return Outcome{Payload: []byte(`{"done":true}`), ExecutedVersion: "3"}, nil
	}
}

func TestRetriesAndDestinations(t *testing.T) {
	const onSuccess = "arn:aws:lambda:us-east-1:000000000000:function:ok-dest"
	const onFailure = "arn:aws:lambda:us-east-1:000000000000:function:fail-dest:live"
	tests := []struct {
		name        string
		script      []string
		retries     int
		wantInvokes int
		wantDest    string // function receiving the record
		wantCond    string
		wantDLQ     bool
	}{
		{"fail fail succeed", []string{"Unhandled", "Unhandled", ""}, 2, 3, "ok-dest", ConditionSuccess, false},
		{"no retries", []string{"Unhandled"}, 0, 1, "fail-dest", ConditionRetriesExhausted, true},
		{"one retry", []string{"Handled"}, 1, 2, "fail-dest", ConditionRetriesExhausted, true},
		{"retries exhausted", []string{"Unhandled"}, 2, 3, "fail-dest", ConditionRetriesExhausted, true},
		{"first try", []string{""}, 2, 1, "ok-dest", ConditionSuccess, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := tempDB(t)
			inv := &fakeInvoker{respond: outcomes(tt.script...)}
			cfg := &fakeConfigs{configs: map[string]EventConfig{"fn": {MaxRetryAttempts: tt.retries,
				MaxEventAge: time.Hour, OnSuccess: onSuccess, OnFailure: onFailure, DeadLetter: "dlq"}}}
			q, err := New(fastOptions(db, inv, cfg))
			if err != nil {
				t.Fatal(err)
			}
			start(t, q)
			id, err := q.Enqueue(context.Background(), Event{Function: "fn", Qualifier: "prod", Payload: []byte(`{"k":"v"}`)})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, "destination record", func() bool { return len(inv.callsOf(tt.wantDest)) == 1 && q.Stats().Depth == 0 })
			if got := len(inv.callsOf("fn")); got != tt.wantInvokes {
				t.Errorf("invokes = %d, want %d", got, tt.wantInvokes)
			}
			for i, c := range inv.callsOf("fn") {
				if c.ID != id || c.Attempts != i {
					t.Errorf("call %d: id %s attempts %d, want %s %d", i, c.ID, c.Attempts, id, i)
				}
			}
			dest := inv.callsOf(tt.wantDest)[0]
			if tt.wantDest == "fail-dest" && dest.Qualifier != "live" {
				t.Errorf("destination qualifier = %q, want live", dest.Qualifier)
			}
			r := decodeRecord(t, dest.Payload)
			rc := r.RequestContext
			if r.Version != "1.0" || rc.RequestID != id || rc.Condition != tt.wantCond ||
				rc.ApproximateInvokeCount != tt.wantInvokes ||
				rc.FunctionARN != "arn:aws:lambda:us-east-1:000000000000:function:fn:prod" {
				t.Errorf("record = %+v", r)
			}
			if string(r.RequestPayload) != `{"k":"v"}` {
				t.Errorf("requestPayload = %s", r.RequestPayload)
			}
			if _, err := time.Parse("2006-01-02T15:04:05.000Z", r.Timestamp); err != nil {
				t.Errorf("timestamp %q: %v", r.Timestamp, err)
			}
			if r.ResponseContext == nil || r.ResponseContext.StatusCode != 200 {
				t.Fatalf("responseContext = %+v", r.ResponseContext)
			}
			if tt.wantCond == ConditionSuccess {
				if string(r.ResponsePayload) != `{"done":true}` || r.ResponseContext.ExecutedVersion != "3" ||
					r.ResponseContext.FunctionError != "" {
					t.Errorf("success response = %+v %s", r.ResponseContext, r.ResponsePayload)
				}
			} else if r.ResponseContext.FunctionError != tt.script[0] || r.ResponseContext.ExecutedVersion != "$LATEST" {
				t.Errorf("failure response = %+v", r.ResponseContext)
			}
			dlq := inv.callsOf("dlq")
			if tt.wantDLQ {
				waitFor(t, "dead letter", func() bool { return len(inv.callsOf("dlq")) == 1 })
				if dlq = inv.callsOf("dlq"); string(dlq[0].Payload) != `{"k":"v"}` {
					t.Errorf("dead letter payload = %s, want the original event", dlq[0].Payload)
				}
			} else if len(dlq) != 0 {
				t.Errorf("dead letter got %d events on success", len(dlq))
			}
		})
	}
}

func TestMaxEventAge(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		accepted    time.Time
		retryDelay  time.Duration
		wantInvokes int
		wantResp    bool
	}{
		{"expired in queue", now.Add(-2 * time.Minute), time.Millisecond, 0, false},
		{"retry would come too late", now, 2 * time.Minute, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := tempDB(t)
			inv := &fakeInvoker{respond: outcomes("Unhandled")}
			cfg := &fakeConfigs{configs: map[string]EventConfig{"fn": {MaxRetryAttempts: 2,
				MaxEventAge: time.Minute, OnFailure: "fail-dest"}}}
			opts := fastOptions(db, inv, cfg)
			opts.Now = func() time.Time { return now }
			opts.RetryDelays = []time.Duration{tt.retryDelay}
			q, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			start(t, q)
			if _, err := q.Enqueue(context.Background(), Event{Function: "fn", Accepted: tt.accepted, Payload: []byte(`1`)}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "failure record", func() bool { return len(inv.callsOf("fail-dest")) == 1 })
			if got := len(inv.callsOf("fn")); got != tt.wantInvokes {
				t.Errorf("invokes = %d, want %d", got, tt.wantInvokes)
			}
			r := decodeRecord(t, inv.callsOf("fail-dest")[0].Payload)
			if r.RequestContext.Condition != ConditionEventAgeExceeded || r.RequestContext.ApproximateInvokeCount != tt.wantInvokes {
				t.Errorf("requestContext = %+v", r.RequestContext)
			}
			if (r.ResponseContext != nil) != tt.wantResp {
				t.Errorf("responseContext = %+v, want present %v", r.ResponseContext, tt.wantResp)
			}
		})
	}
}

func TestThrottledEventsWaitAndSucceed(t *testing.T) {
	db, _ := tempDB(t)
	inv := &fakeInvoker{respond: func(_ context.Context, ev *Event, n int) (Outcome, error) {
		if ev.Function == "fn" && n < 3 {
			return Outcome{Throttled: true}, nil
		}
		return Outcome{}, nil
	}}
	cfg := &fakeConfigs{configs: map[string]EventConfig{"fn": {MaxRetryAttempts: 0, MaxEventAge: time.Hour, OnSuccess: "ok-dest"}}}
	q, err := New(fastOptions(db, inv, cfg))
	if err != nil {
		t.Fatal(err)
	}
	start(t, q)
	if _, err := q.Enqueue(context.Background(), Event{Function: "fn"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "success after throttles", func() bool { return len(inv.callsOf("ok-dest")) == 1 })
	if got := len(inv.callsOf("fn")); got != 4 {
		t.Errorf("invokes = %d, want 3 throttled + 1", got)
	}
	r := decodeRecord(t, inv.callsOf("ok-dest")[0].Payload)
	if r.RequestContext.ApproximateInvokeCount != 1 {
		t.Errorf("approximateInvokeCount = %d, want 1 (throttles are not attempts)", r.RequestContext.ApproximateInvokeCount)
	}
	if st := q.Stats(); st.Throttles != 3 || st.Retries != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestFunctionGoneIsDropped(t *testing.T) {
	db, _ := tempDB(t)
	inv := &fakeInvoker{respond: func(context.Context, *Event, int) (Outcome, error) {
		return Outcome{}, fmt.Errorf("resolve fn: %w", ErrFunctionGone)
	}}
	q, err := New(fastOptions(db, inv, nil))
	if err != nil {
		t.Fatal(err)
	}
	start(t, q)
	if _, err := q.Enqueue(context.Background(), Event{Function: "fn"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "drop", func() bool { st := q.Stats(); return st.Dropped == 1 && st.Depth == 0 })
}

func TestEnqueueValidation(t *testing.T) {
	db, _ := tempDB(t)
	q, err := New(fastOptions(db, &fakeInvoker{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(context.Background(), Event{}); !errors.Is(err, ErrNoFunction) {
		t.Errorf("Enqueue without function: %v, want ErrNoFunction", err)
	}
	if _, err := New(Options{}); err == nil {
		t.Error("New without DB succeeded")
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in, fn, qual string
		ok           bool
	}{
		{"arn:aws:lambda:us-east-1:123456789012:function:dest", "dest", "", true},
		{"arn:aws:lambda:us-east-1:123456789012:function:dest:live", "dest", "live", true},
		{"arn:aws:sqs:us-east-1:123456789012:q", "", "", false},
		{"arn:aws:lambda:us-east-1:123456789012:layer:x:1", "", "", false},
		{"dest", "dest", "", true},
		{"dest:7", "dest", "7", true},
		{"", "", "", false},
	}
	for _, tt := range tests {
		fn, qual, ok := parseTarget(tt.in)
		if fn != tt.fn || qual != tt.qual || ok != tt.ok {
			t.Errorf("parseTarget(%q) = %q %q %v, want %q %q %v", tt.in, fn, qual, ok, tt.fn, tt.qual, tt.ok)
		}
	}
}
