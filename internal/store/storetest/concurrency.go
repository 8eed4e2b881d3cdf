package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

// writers is how many goroutines race in the concurrency cases.
const writers = 8

// errStale is what the RevisionId checks below return on a mismatch, as
// the API's PreconditionFailed does.
var errStale = errors.New("revision changed")

var concurrencyCases = []testCase{
	{"RevisionId compare-and-set on functions", func(t *testing.T, _ Harness, s store.Metadata) {
		fn := mustCreate(t, s, "f")
		won := race(t, func(i int) error {
			_, err := s.UpdateFunction("f", func(fn2 *function.Function) error {
				if fn2.Latest.RevisionID != fn.Latest.RevisionID {
					return errStale
				}
				fn2.Latest.Description = fmt.Sprint("writer ", i)
				fn2.Latest.Touch(time.Now())
				return nil
			})
			return err
		})
		got, _ := s.Function("f")
		if got.Latest.Description != fmt.Sprint("writer ", won) || got.Latest.RevisionID == fn.Latest.RevisionID {
			t.Fatalf("the winner was writer %d but the function says %q", won, got.Latest.Description)
		}
	}},
	{"RevisionId compare-and-set on publish", func(t *testing.T, _ Harness, s store.Metadata) {
		fn := mustCreate(t, s, "f")
		race(t, func(i int) error {
			_, _, err := s.PublishVersion("f", fmt.Sprint("v", i), func(fn2 *function.Function) error {
				if fn2.LastVersion != 0 || fn2.Latest.RevisionID != fn.Latest.RevisionID {
					return errStale
				}
				return nil
			})
			return err
		})
		if vs, _ := s.Versions("f"); len(vs) != 1 {
			t.Fatalf("%d versions published", len(vs))
		}
	}},
	{"RevisionId compare-and-set on aliases", func(t *testing.T, _ Harness, s store.Metadata) {
		mustCreate(t, s, "f")
		mustPublish(t, s, "f", nil)
		if err := s.CreateAlias(&function.Alias{Name: "live", Function: "f", Version: "1", RevisionID: "r0"}); err != nil {
			t.Fatal(err)
		}
		won := race(t, func(i int) error {
			_, err := s.UpdateAlias("f", "live", func(a *function.Alias) error {
				if a.RevisionID != "r0" {
					return errStale
				}
				a.RevisionID = fmt.Sprint("r", i+1)
				return nil
			})
			return err
		})
		if a, _ := s.Alias("f", "live"); a.RevisionID != fmt.Sprint("r", won+1) {
			t.Fatalf("winner %d, alias revision %s", won, a.RevisionID)
		}
	}},
	{"concurrent writers lose no update", func(t *testing.T, _ Harness, s store.Metadata) {
		mustCreate(t, s, "f")
		if _, err := s.PublishLayerVersion(&function.LayerVersion{Name: "l", CodeSHA256: "x"}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 4*writers)
		for i := 0; i < writers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.UpdateFunction("f", func(fn *function.Function) error { fn.Latest.TimeoutSec++; return nil })
				errs <- err
				_, err = s.AddStatement("f", "", statement(fmt.Sprint("s", i)), nil)
				errs <- err
				_, err = s.PublishLayerVersion(&function.LayerVersion{Name: "l", CodeSHA256: "x"})
				errs <- err
				_, err = s.PutRule("r", func(r *store.Rule, _ bool) error {
					r.Targets = append(r.Targets, store.RuleTarget{ID: fmt.Sprint(i)})
					return nil
				})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		fn, _ := s.Function("f")
		p, _ := s.Policy("f", "")
		lvs, _ := s.LayerVersions("l")
		r, _ := s.Rule("r")
		if fn.Latest.TimeoutSec != function.DefaultTimeoutSec+writers || len(p.Statements) != writers ||
			len(lvs) != writers+1 || lvs[0].Version != writers+1 || len(r.Targets) != writers {
			t.Fatalf("lost updates: timeout %d, %d statements, %d layer versions, %d targets",
				fn.Latest.TimeoutSec, len(p.Statements), len(lvs), len(r.Targets))
		}
	}},
	{"concurrent creates: one wins", func(t *testing.T, _ Harness, s store.Metadata) {
		mustCreate(t, s, "f")
		mustPublish(t, s, "f", nil)
		var mu sync.Mutex
		created := 0
		var wg sync.WaitGroup
		for i := 0; i < writers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs := []error{
					s.CreateFunction(newFunction("g")),
					s.CreateAlias(&function.Alias{Name: "live", Function: "f", Version: "1"}),
					s.CreateURLConfig(&function.URLConfig{Function: "f", URLID: function.NewURLID()}),
				}
				mu.Lock()
				defer mu.Unlock()
				for _, err := range errs {
					switch {
					case err == nil:
						created++
					case !errors.Is(err, store.ErrExists):
						t.Errorf("create: %v", err)
					}
				}
			}()
		}
		wg.Wait()
		if created != 3 {
			t.Fatalf("%d creates succeeded, want one of each of 3", created)
		}
	}},
}

// race runs writers copies of write at once, each with its index, and
// checks that exactly one succeeded and the others failed with errStale;
// it returns the winner's index.
func race(t *testing.T, write func(i int) error) int {
	t.Helper()
	start := make(chan struct{})
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = write(i)
		}()
	}
	close(start)
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Fatalf("writers %d and %d both won", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, errStale):
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no writer won")
	}
	return won
}
