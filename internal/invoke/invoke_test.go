package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/logs"
	"github.com/hearth-run/hearth/internal/pool"
	"github.com/hearth-run/hearth/internal/pool/pooltest"
	"github.com/hearth-run/hearth/internal/sandbox"
	"github.com/hearth-run/hearth/internal/store"
)

// The Invoker's tests run it against a real store and pool, on fake
// processes (pooltest) that speak the Runtime API.

type fakeStarter struct{ *pooltest.Starter }

func (f fakeStarter) Start(spec sandbox.Spec) (pool.Process, error) {
	p, err := f.Starter.Start(spec)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// codeDir is a code tree with an executable bootstrap.
type codeDir string

func (d codeDir) Tree(string) (string, error) { return string(d), nil }

func (d codeDir) Merged([]string) (string, error) { return string(d), nil }

type plainView struct{}

func (plainView) View(code, runtime string) (string, string) { return code, runtime }

func (plainView) OptView(opt string) string { return opt }
func (plainView) Expect(sandbox.Spec)       {}

type rig struct {
	iv    *Invoker
	pool  *pool.Pool
	store *store.Store
	fs    *pooltest.Starter
}

func newRig(t *testing.T, opts ...func(*pool.Options)) *rig {
	t.Helper()
	dir := t.TempDir()
	code := filepath.Join(dir, "code")
	if err := os.MkdirAll(code, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(code, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "meta.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := logs.Open(logs.Options{Dir: filepath.Join(dir, "logs")})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	fs := &pooltest.Starter{}
	po := pool.Options{Starter: fakeStarter{fs}, Logs: ls, Logger: quiet}
	for _, o := range opts {
		o(&po)
	}
	p := pool.New(po)
	iv := New(Options{Store: st, Code: codeDir(code), Pool: p, Sandbox: plainView{}, RuntimeDir: dir,
		Region: "us-east-1", Account: "123456789012", Logger: quiet})
	t.Cleanup(func() {
		_ = p.Close()
		iv.Close()
		_ = st.Close()
	})
	return &rig{iv: iv, pool: p, store: st, fs: fs}
}

func (r *rig) create(t *testing.T, name string, change func(*function.Function)) {
	t.Helper()
	fn := &function.Function{Latest: function.Config{Name: name, Runtime: "provided.al2023", Handler: "h",
		CodeSHA256: "sha", MemoryMB: 128, TimeoutSec: 3}}
	fn.Latest.Touch(time.Now())
	if change != nil {
		change(fn)
	}
	if err := r.store.CreateFunction(fn); err != nil {
		t.Fatal(err)
	}
}

// call invokes synchronously and waits until the invocation has ended
// (the runtime asked for its next event), so that the next call sees the
// environment released.
func (r *rig) call(t *testing.T, name, payload string) *Result {
	t.Helper()
	res, err := r.iv.Invoke(context.Background(), &Request{Function: name, Type: RequestResponse, Payload: []byte(payload)})
	if err != nil {
		t.Fatalf("invoke %s: %v", name, err)
	}
	r.iv.Drain(context.Background())
	return res
}

func errorType(t *testing.T, payload []byte) string {
	t.Helper()
	var body struct {
		Type string `json:"errorType"`
	}
	if err := json.Unmarshal(payload, &body); err != nil {
		t.Fatalf("error payload %q: %v", payload, err)
	}
	return body.Type
}

func TestInvokeWarmAndUpdate(t *testing.T) {
	r := newRig(t)
	r.create(t, "f", nil)
	if res := r.call(t, "f", `{"n":1}`); string(res.Payload) != `{"n":1}` || res.FunctionError != "" {
		t.Fatalf("first: %q %q", res.Payload, res.FunctionError)
	}
	r.call(t, "f", `{"n":2}`)
	if n := r.fs.Starts(); n != 1 {
		t.Fatalf("%d environments for two sequential calls, want 1", n)
	}
	old := r.fs.Running()[0]
	if _, err := r.store.UpdateFunction("f", func(fn *function.Function) error {
		fn.Latest.Touch(time.Now())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r.iv.FunctionChanged("f")
	r.call(t, "f", `{"n":3}`)
	if n := r.fs.Starts(); n != 2 {
		t.Fatalf("%d environments after an update, want a new one", n)
	}
	for range 500 {
		if old.Stopped() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("environment of the old revision not stopped")
}

func TestInvokeOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		timeout   int
		payload   string
		errorType string // "" = success
		reused    bool   // the environment serves the next call
	}{
		{name: "function error", payload: pooltest.Fail, errorType: "Fake.Error", reused: true},
		{name: "crash", payload: pooltest.Crash, errorType: "Runtime.ExitError"},
		{name: "timeout", timeout: 1, payload: pooltest.Hang, errorType: "Sandbox.Timedout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.create(t, "f", func(fn *function.Function) {
				if tc.timeout > 0 {
					fn.Latest.TimeoutSec = tc.timeout
				}
			})
			res := r.call(t, "f", tc.payload)
			if res.FunctionError != "Unhandled" {
				t.Fatalf("FunctionError %q, payload %q", res.FunctionError, res.Payload)
			}
			if typ := errorType(t, res.Payload); typ != tc.errorType {
				t.Fatalf("errorType %q, want %q", typ, tc.errorType)
			}
			r.call(t, "f", `"next"`)
			if reused := r.fs.Starts() == 1; reused != tc.reused {
				t.Fatalf("environment reused: %v, want %v", reused, tc.reused)
			}
		})
	}
}

func TestInvokeInitFailure(t *testing.T) {
	r := newRig(t)
	r.fs.Behave = func(sandbox.Spec) pooltest.Behaviour { return pooltest.InitError }
	r.create(t, "f", nil)
	res := r.call(t, "f", `{}`)
	if res.FunctionError != "Unhandled" || errorType(t, res.Payload) != "Fake.InitError" {
		t.Fatalf("init failure answered %q %q", res.FunctionError, res.Payload)
	}
}

func TestInvokeRefusals(t *testing.T) {
	r := newRig(t)
	r.create(t, "zero", func(fn *function.Function) { zero := 0; fn.ReservedConcurrency = &zero })
	_, err := r.iv.Invoke(context.Background(), &Request{Function: "zero", Type: RequestResponse})
	var te *errdefs.ThrottleError
	if !errors.As(err, &te) || !errdefs.IsThrottled(err) || te.Reason != pool.ReasonReservedLimit {
		t.Fatalf("reserved 0: %v", err)
	}
	_, err = r.iv.Invoke(context.Background(), &Request{Function: "missing", Type: RequestResponse})
	var nf *errdefs.NotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, ErrFunctionNotFound) || nf.ARN != "arn:aws:lambda:us-east-1:123456789012:function:missing" {
		t.Fatalf("missing function: %v", err)
	}
	if _, err := r.iv.Invoke(context.Background(), &Request{Function: "zero", Type: Event}); !errors.Is(err, ErrEventUnsupported) {
		t.Fatalf("event without a queue: %v", err)
	}
	if n := r.fs.Starts(); n != 0 {
		t.Fatalf("refused invocations started %d environments", n)
	}
}

// brokenVersions is the store with Versions failing, as a read error would.
type brokenVersions struct{ *store.Store }

func (brokenVersions) Versions(string) ([]*function.Config, error) {
	return nil, errors.New("read failed")
}

func TestFunctionChangedReadErrorKeepsEnvironments(t *testing.T) {
	r := newRig(t)
	r.create(t, "f", nil)
	if _, _, err := r.store.PublishVersion("f", "", nil); err != nil {
		t.Fatal(err)
	}
	res, err := r.iv.Invoke(context.Background(), &Request{Function: "f", Qualifier: "1", Type: RequestResponse, Payload: []byte(`1`)})
	if err != nil || res.FunctionError != "" {
		t.Fatalf("invoke version 1: %v %+v", err, res)
	}
	r.iv.Drain(context.Background())
	r.iv.opts.Store = brokenVersions{r.store}
	r.iv.FunctionChanged("f")
	r.iv.opts.Store = r.store
	// Were version 1 taken for deleted, its idle environment would be
	// retired and this call would start another.
	if _, err := r.iv.Invoke(context.Background(), &Request{Function: "f", Qualifier: "1", Type: RequestResponse, Payload: []byte(`2`)}); err != nil {
		t.Fatal(err)
	}
	if n := r.fs.Starts(); n != 1 {
		t.Fatalf("a failed read retired version 1's environment (%d starts)", n)
	}
}

// TestRestoreTellsReservations restarts with a reserved function that has
// not run yet: its share is kept from unreserved functions at once.
func TestRestoreTellsReservations(t *testing.T) {
	r := newRig(t, func(o *pool.Options) { o.AccountLimit = 3 })
	r.create(t, "reserved", func(fn *function.Function) { two := 2; fn.ReservedConcurrency = &two })
	if err := r.iv.Restore(); err != nil {
		t.Fatal(err)
	}
	spec := &pool.Spec{Function: "unreserved", Version: function.Latest, Revision: "r1",
		Sandbox: sandbox.Spec{Path: "/var/task/bootstrap"}}
	if _, err := r.pool.Acquire(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	var te *errdefs.ThrottleError
	if _, err := r.pool.Acquire(context.Background(), spec); !errors.As(err, &te) || te.Reason != pool.ReasonAccountLimit {
		t.Fatalf("second unreserved environment of an account of 3 with 2 reserved: %v", err)
	}
}
