// Package storetest is the conformance suite of store.Metadata: every
// implementation (bbolt, JetStream) runs the same cases from its own tests
// and must behave identically, including RevisionId compare-and-set under
// concurrent writers.
package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

// Harness opens stores for the suite.
type Harness struct {
	// Open returns a new, empty store; the suite closes it.
	Open func(t *testing.T) store.Metadata
	// Reopen closes s and returns a store over the same data, as after a
	// restart. Nil skips the persistence case.
	Reopen func(t *testing.T, s store.Metadata) store.Metadata
}

// testCase is one conformance case: it gets a fresh, empty store.
type testCase struct {
	name string
	run  func(t *testing.T, h Harness, s store.Metadata)
}

// cases lists every case; the files of this package add theirs.
func cases() []testCase {
	var out []testCase
	for _, group := range [][]testCase{
		functionCases, versionCases, aliasCases, settingCases,
		layerCases, policyCases, urlCases, concurrencyCases,
	} {
		out = append(out, group...)
	}
	return out
}

// Run runs the whole suite against the stores h opens.
func Run(t *testing.T, h Harness) {
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			s := h.Open(t)
			defer func() { s.Close() }()
			tc.run(t, h, s)
		})
	}
}

// newFunction returns a valid function named name whose code is "code-"+name.
func newFunction(name string) *function.Function {
	c := function.Config{Name: name, Runtime: "python3.12", Handler: "app.handler", CodeSHA256: "code-" + name}
	c.ApplyDefaults()
	c.Touch(time.Now())
	return &function.Function{Latest: c}
}

// mustCreate stores newFunction(name).
func mustCreate(t *testing.T, s store.Metadata, name string) *function.Function {
	t.Helper()
	fn := newFunction(name)
	if err := s.CreateFunction(fn); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return fn
}

// mustPublish changes $LATEST with change (when set) and publishes it.
func mustPublish(t *testing.T, s store.Metadata, name string, change func(*function.Config)) *function.Config {
	t.Helper()
	if change != nil {
		if _, err := s.UpdateFunction(name, func(fn *function.Function) error {
			change(&fn.Latest)
			fn.Latest.Touch(time.Now())
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	v, _, err := s.PublishVersion(name, "", nil)
	if err != nil {
		t.Fatalf("publish %s: %v", name, err)
	}
	return v
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func inUse(t *testing.T, s store.Metadata, sha string) bool {
	t.Helper()
	used, err := s.CodeInUse(sha)
	if err != nil {
		t.Fatal(err)
	}
	return used
}
