package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

var functionCases = []testCase{
	{"function lifecycle", func(t *testing.T, _ Harness, s store.Metadata) {
		mustCreate(t, s, "a")
		wantErr(t, "duplicate create", s.CreateFunction(newFunction("a")), store.ErrExists)
		_, err := s.Function("missing")
		wantErr(t, "missing function", err, store.ErrNotFound)
		fn, err := s.UpdateFunction("a", func(fn *function.Function) error { fn.Latest.MemoryMB = 512; return nil })
		if err != nil || fn.Latest.MemoryMB != 512 {
			t.Fatalf("update: %+v %v", fn, err)
		}
		boom := errors.New("boom")
		_, err = s.UpdateFunction("a", func(fn *function.Function) error { fn.Latest.MemoryMB = 1; return boom })
		wantErr(t, "failed change", err, boom)
		if got, _ := s.Function("a"); got.Latest.MemoryMB != 512 {
			t.Fatalf("a failed change was written: memory %d", got.Latest.MemoryMB)
		}
		_, err = s.UpdateFunction("missing", func(*function.Function) error { return nil })
		wantErr(t, "update of a missing function", err, store.ErrNotFound)
		if err := s.DeleteFunction("a"); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "second delete", s.DeleteFunction("a"), store.ErrNotFound)
		_, err = s.Function("a")
		wantErr(t, "deleted function", err, store.ErrNotFound)
		mustCreate(t, s, "a") // the name is free again
	}},
	{"function fields round trip", func(t *testing.T, _ Harness, s store.Metadata) {
		fn := newFunction("f")
		reserved := 7
		fn.ReservedConcurrency = &reserved
		fn.Tags = map[string]string{"team": "hearth"}
		fn.Latest.Environment = map[string]string{"K": "V"}
		fn.Latest.Layers = []function.Layer{{ARN: "arn:aws:lambda:us-east-1:000000000000:layer:l:1", CodeSHA256: "layer-sha"}}
		if err := s.CreateFunction(fn); err != nil {
			t.Fatal(err)
		}
		got, err := s.Function("f")
		if err != nil {
			t.Fatal(err)
		}
		if *got.ReservedConcurrency != 7 || got.Tags["team"] != "hearth" || got.Latest.Environment["K"] != "V" ||
			len(got.Latest.Layers) != 1 || got.Latest.RevisionID != fn.Latest.RevisionID ||
			!got.Latest.LastModified.Equal(fn.Latest.LastModified) {
			t.Fatalf("stored %+v, got %+v", fn, got)
		}
	}},
	{"list functions in pages", func(t *testing.T, _ Harness, s store.Metadata) {
		fns, next, err := s.ListFunctions("", 50)
		if err != nil || len(fns) != 0 || next != "" {
			t.Fatalf("empty store lists %d, %q, %v", len(fns), next, err)
		}
		for i := 6; i >= 0; i-- {
			mustCreate(t, s, fmt.Sprintf("fn-%d", i))
		}
		for _, tt := range []struct {
			name   string
			max    int
			counts []int
		}{{"one page", 50, []int{7}}, {"pages of three", 3, []int{3, 3, 1}}, {"exact fit", 7, []int{7}}, {"pages of one", 1, []int{1, 1, 1, 1, 1, 1, 1}}} {
			t.Run(tt.name, func(t *testing.T) { checkPages(t, s, tt.max, tt.counts) })
		}
	}},
	{"code in use", func(t *testing.T, _ Harness, s store.Metadata) {
		mustCreate(t, s, "f")
		if !inUse(t, s, "code-f") || inUse(t, s, "nothing") {
			t.Fatal("CodeInUse is wrong for $LATEST")
		}
		mustPublish(t, s, "f", nil)
		mustPublish(t, s, "f", func(c *function.Config) { c.CodeSHA256 = "code-2" })
		if _, err := s.UpdateFunction("f", func(fn *function.Function) error { fn.Latest.CodeSHA256 = "code-3"; return nil }); err != nil {
			t.Fatal(err)
		}
		for _, sha := range []string{"code-f", "code-2", "code-3"} {
			if !inUse(t, s, sha) {
				t.Fatalf("%s is not in use", sha)
			}
		}
		if err := s.DeleteVersion("f", "1"); err != nil {
			t.Fatal(err)
		}
		if inUse(t, s, "code-f") {
			t.Fatal("the code of a deleted version is still in use")
		}
		if err := s.DeleteFunction("f"); err != nil {
			t.Fatal(err)
		}
		if inUse(t, s, "code-2") || inUse(t, s, "code-3") {
			t.Fatal("the code of a deleted function is still in use")
		}
	}},
	{"delete function removes everything it owns", func(t *testing.T, _ Harness, s store.Metadata) {
		mustCreate(t, s, "f")
		mustCreate(t, s, "f-other")
		mustPublish(t, s, "f", nil)
		fillFunction(t, s, "f")
		fillFunction(t, s, "f-other")
		if err := s.DeleteFunction("f"); err != nil {
			t.Fatal(err)
		}
		mustCreate(t, s, "f")
		if vs, _ := s.Versions("f"); len(vs) != 0 {
			t.Fatalf("versions outlived their function: %d", len(vs))
		}
		if as, _ := s.Aliases("f"); len(as) != 0 {
			t.Fatalf("aliases outlived their function: %d", len(as))
		}
		if cs, _ := s.ListEventInvokeConfigs("f"); len(cs) != 0 {
			t.Fatalf("event invoke configs outlived their function: %d", len(cs))
		}
		if ps, _ := s.ProvisionedConfigs("f"); len(ps) != 0 {
			t.Fatalf("provisioned configs outlived their function: %d", len(ps))
		}
		if us, _ := s.URLConfigs("f"); len(us) != 0 {
			t.Fatalf("URLs outlived their function: %d", len(us))
		}
		if _, err := s.Policy("f", ""); !errors.As(err, new(*store.PolicyNotFoundError)) {
			t.Fatalf("policy outlived its function: %v", err)
		}
		if v, _, err := s.PublishVersion("f", "", nil); err != nil || v.Version != "1" {
			t.Fatalf("a re-created function's first version is %v (%v)", v, err)
		}
		// The other function, whose name shares a prefix, kept everything.
		if as, _ := s.Aliases("f-other"); len(as) != 1 {
			t.Fatalf("f-other lost its alias: %d", len(as))
		}
		if us, _ := s.URLConfigs("f-other"); len(us) != 1 {
			t.Fatalf("f-other lost its URL: %d", len(us))
		}
		if _, err := s.Policy("f-other", ""); err != nil {
			t.Fatalf("f-other lost its policy: %v", err)
		}
	}},
	{"data survives reopening", func(t *testing.T, h Harness, s store.Metadata) {
		if h.Reopen == nil {
			t.Skip("this implementation has no reopen")
		}
		mustCreate(t, s, "f")
		mustPublish(t, s, "f", nil)
		fillFunction(t, s, "f")
		s2 := h.Reopen(t, s)
		defer s2.Close()
		if _, err := s2.Version("f", "1"); err != nil {
			t.Fatal(err)
		}
		if as, _ := s2.Aliases("f"); len(as) != 1 {
			t.Fatalf("aliases after reopen: %d", len(as))
		}
		if _, err := s2.URLConfig("f", ""); err != nil {
			t.Fatal(err)
		}
		if rules, _ := s2.ListRules(); len(rules) != 1 {
			t.Fatalf("rules after reopen: %d", len(rules))
		}
	}},
}

// checkPages lists every function max at a time and checks the page sizes
// and that each function is listed once, in name order.
func checkPages(t *testing.T, s store.Metadata, max int, counts []int) {
	marker, page, last := "", 0, ""
	for ; ; page++ {
		fns, next, err := s.ListFunctions(marker, max)
		if err != nil {
			t.Fatal(err)
		}
		if page >= len(counts) || len(fns) != counts[page] {
			t.Fatalf("page %d has %d functions, want %v", page, len(fns), counts)
		}
		for _, fn := range fns {
			if fn.Latest.Name <= last {
				t.Fatalf("%s listed after %s", fn.Latest.Name, last)
			}
			last = fn.Latest.Name
		}
		if next == "" {
			break
		}
		marker = next
	}
	if page != len(counts)-1 {
		t.Fatalf("%d pages, want %d", page+1, len(counts))
	}
}

// fillFunction gives a function (with version 1 published) an alias, a
// provisioned config, an event invoke config, a policy and a URL, and the
// store one rule.
func fillFunction(t *testing.T, s store.Metadata, name string) {
	t.Helper()
	if _, err := s.Version(name, "1"); err != nil {
		mustPublish(t, s, name, nil)
	}
	steps := []error{
		s.CreateAlias(&function.Alias{Name: "live", Function: name, Version: "1", RevisionID: function.NewRevisionID()}),
		s.PutProvisioned(&function.Provisioned{Function: name, Qualifier: "live", Requested: 1}),
		func() error {
			_, err := s.PutEventInvokeConfig(name, function.Latest, func(*function.EventInvokeConfig, bool) error { return nil })
			return err
		}(),
		func() error {
			_, err := s.AddStatement(name, "", statement("s1"), nil)
			return err
		}(),
		s.CreateURLConfig(&function.URLConfig{Function: name, URLID: function.NewURLID(), AuthType: function.AuthNone}),
		func() error {
			_, err := s.PutRule("rule-"+name, func(r *store.Rule, _ bool) error { r.ScheduleExpression = "rate(1 minute)"; return nil })
			return err
		}(),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("fill %s step %d: %v", name, i, err)
		}
	}
}

func statement(sid string) function.Statement {
	return function.Statement{Sid: sid, Effect: "Allow", Principal: "*", Action: "lambda:InvokeFunctionUrl", Resource: "arn"}
}
