package queue

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func openDB(t testing.TB, path string) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return db
}

func tempDB(t testing.TB) (*bbolt.DB, string) {
	path := filepath.Join(t.TempDir(), "hearth.db")
	db := openDB(t, path)
	t.Cleanup(func() { db.Close() })
	return db, path
}

// fakeInvoker stands in for Hearth's invoke package (the process boundary).
type fakeInvoker struct {
	mu       sync.Mutex // guards the fields below
	calls    []Event
	inFlight map[string]int
	maxPer   map[string]int
	total    int
	maxTotal int
	// respond decides each call's result; n counts calls of ev.Function so far.
	respond func(ctx context.Context, ev *Event, n int) (Outcome, error)
}

func (f *fakeInvoker) InvokeAsync(ctx context.Context, ev *Event) (Outcome, error) {
	f.mu.Lock()
	if f.inFlight == nil {
		f.inFlight, f.maxPer = map[string]int{}, map[string]int{}
	}
	n := 0
	for _, c := range f.calls {
		if c.Function == ev.Function {
			n++
		}
	}
	f.calls = append(f.calls, *ev)
	f.inFlight[ev.Function]++
	f.maxPer[ev.Function] = max(f.maxPer[ev.Function], f.inFlight[ev.Function])
	f.total++
	f.maxTotal = max(f.maxTotal, f.total)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight[ev.Function]--
		f.total--
		f.mu.Unlock()
	}()
	if f.respond == nil {
		return Outcome{Payload: []byte(`"ok"`)}, nil
	}
	return f.respond(ctx, ev, n)
}

// callsOf returns the recorded calls of one function.
func (f *fakeInvoker) callsOf(function string) []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Event
	for _, c := range f.calls {
		if c.Function == function {
			out = append(out, c)
		}
	}
	return out
}

// fakeConfigs stands in for Hearth's store.
type fakeConfigs struct {
	configs     map[string]EventConfig
	concurrency map[string]int
}

func (c *fakeConfigs) EventInvokeConfig(function, qualifier string) (EventConfig, error) {
	if cfg, ok := c.configs[function]; ok {
		return cfg, nil
	}
	return EventConfig{MaxRetryAttempts: DefaultMaxRetryAttempts, MaxEventAge: DefaultMaxEventAge}, nil
}

func (c *fakeConfigs) Concurrency(function string) (int, bool) {
	n, ok := c.concurrency[function]
	return n, ok
}

// fastOptions are Options with millisecond delays so tests run quickly.
func fastOptions(db *bbolt.DB, inv Invoker, cfg ConfigSource) Options {
	return Options{DB: db, Invoker: inv, Configs: cfg,
		RetryDelays:     []time.Duration{time.Millisecond, 2 * time.Millisecond},
		ThrottleBackoff: [2]time.Duration{time.Millisecond, 4 * time.Millisecond}}
}

// start runs q until the test ends.
func start(t testing.TB, q *Queue) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// decodedRecord is the destination document, decoded for assertions.
type decodedRecord struct {
	Version        string `json:"version"`
	Timestamp      string `json:"timestamp"`
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionARN            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext *struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError"`
	} `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload"`
}

func decodeRecord(t testing.TB, p []byte) decodedRecord {
	t.Helper()
	var r decodedRecord
	if err := json.Unmarshal(p, &r); err != nil {
		t.Fatalf("decode invocation record %s: %v", p, err)
	}
	return r
}
