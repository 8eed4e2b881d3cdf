package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/function"
)

func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hearth.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func newFunction(name string) *function.Function {
	c := function.Config{Name: name, Runtime: "python3.12", Handler: "app.handler", CodeSHA256: "abc" + name}
	c.ApplyDefaults()
	c.Touch(time.Now())
	return &function.Function{Latest: c}
}

func TestFunctionLifecycle(t *testing.T) {
	s, path := openTest(t)
	if err := s.CreateFunction(newFunction("a")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateFunction(newFunction("a")); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate create: %v", err)
	}
	if _, err := s.Function("missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing function: %v", err)
	}
	fn, err := s.UpdateFunction("a", func(fn *function.Function) error { fn.Latest.MemoryMB = 512; return nil })
	if err != nil || fn.Latest.MemoryMB != 512 {
		t.Fatalf("update: %v %v", fn, err)
	}
	// A failed change writes nothing.
	boom := errors.New("boom")
	if _, err := s.UpdateFunction("a", func(fn *function.Function) error { fn.Latest.MemoryMB = 1; return boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got, _ := s.Function("a"); got.Latest.MemoryMB != 512 {
		t.Fatalf("failed update was written: memory %d", got.Latest.MemoryMB)
	}
	if !inUse(t, s, "abca") || inUse(t, s, "nothing") {
		t.Fatal("CodeInUse is wrong")
	}
	// Data survives reopening, and a second open of the same file is refused.
	if _, err := Open(path, &Options{LockTimeout: 50 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v", err)
	}
	s.Close()
	s2, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, err := s2.Function("a"); err != nil || got.Latest.MemoryMB != 512 {
		t.Fatalf("after reopen: %v %v", got, err)
	}
	if err := s2.DeleteFunction("a"); err != nil {
		t.Fatal(err)
	}
	if err := s2.DeleteFunction("a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestListFunctionsPagination(t *testing.T) {
	s, _ := openTest(t)
	for i := 0; i < 7; i++ {
		if err := s.CreateFunction(newFunction(fmt.Sprintf("fn-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		max    int
		pages  int
		counts []int
	}{
		{"one page", 50, 1, []int{7}},
		{"pages of three", 3, 3, []int{3, 3, 1}},
		{"exact fit", 7, 1, []int{7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			marker, pages, seen := "", 0, map[string]bool{}
			for {
				fns, next, err := s.ListFunctions(marker, tt.max)
				if err != nil {
					t.Fatal(err)
				}
				if len(fns) != tt.counts[pages] {
					t.Fatalf("page %d has %d functions, want %d", pages, len(fns), tt.counts[pages])
				}
				for _, fn := range fns {
					if seen[fn.Latest.Name] {
						t.Fatalf("%s listed twice", fn.Latest.Name)
					}
					seen[fn.Latest.Name] = true
				}
				pages++
				if next == "" {
					break
				}
				marker = next
			}
			if pages != tt.pages || len(seen) != 7 {
				t.Fatalf("%d pages, %d functions", pages, len(seen))
			}
		})
	}
}

func TestEventInvokeConfigsAndRules(t *testing.T) {
	s, _ := openTest(t)
	if _, err := s.PutEventInvokeConfig("ghost", "$LATEST", func(*function.EventInvokeConfig, bool) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("config of a missing function: %v", err)
	}
	if err := s.CreateFunction(newFunction("f")); err != nil {
		t.Fatal(err)
	}
	two := 2
	if _, err := s.PutEventInvokeConfig("f", "$LATEST", func(c *function.EventInvokeConfig, existed bool) error {
		if existed {
			t.Error("config existed before the first put")
		}
		c.MaximumRetryAttempts = &two
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if c, err := s.EventInvokeConfig("f", "$LATEST"); err != nil || *c.MaximumRetryAttempts != 2 {
		t.Fatalf("get config: %v %v", c, err)
	}
	if cs, _ := s.ListEventInvokeConfigs("f"); len(cs) != 1 {
		t.Fatalf("list configs: %v", cs)
	}
	// Deleting the function removes its configs.
	if err := s.DeleteFunction("f"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EventInvokeConfig("f", "$LATEST"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("config outlived its function: %v", err)
	}

	if _, err := s.UpdateRule("r", func(*Rule) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update of a missing rule: %v", err)
	}
	r, err := s.PutRule("r", func(r *Rule, existed bool) error { r.ScheduleExpression = "rate(1 minute)"; return nil })
	if err != nil || r.State != "ENABLED" {
		t.Fatalf("put rule: %v %v", r, err)
	}
	if _, err := s.UpdateRule("r", func(r *Rule) error {
		r.Targets = append(r.Targets, RuleTarget{ID: "t", ARN: "arn"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rules, _ := s.ListRules()
	if len(rules) != 1 || len(rules[0].Targets) != 1 {
		t.Fatalf("rules: %v", rules)
	}
	if err := s.DeleteRule("r"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rule("r"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted rule: %v", err)
	}
}
