package storetest

import (
	"errors"
	"testing"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

var policyCases = []testCase{
	{"policy statements", func(t *testing.T, _ Harness, s store.Metadata) {
		fn := mustCreate(t, s, "f")
		var pn *store.PolicyNotFoundError
		if _, err := s.Policy("f", ""); !errors.As(err, &pn) || !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("policy before any statement: %v", err)
		}
		seen := ""
		p, err := s.AddStatement("f", "", statement("a"), func(p *function.Policy, rev string) error {
			if p != nil {
				t.Errorf("a policy existed before the first statement: %+v", p)
			}
			seen = rev
			return nil
		})
		if err != nil || len(p.Statements) != 1 || p.RevisionID == "" {
			t.Fatalf("add: %+v %v", p, err)
		}
		if seen != fn.Latest.RevisionID {
			t.Fatalf("check saw target revision %q, want $LATEST's %q", seen, fn.Latest.RevisionID)
		}
		_, err = s.AddStatement("f", "", statement("a"), nil)
		wantErr(t, "duplicate sid", err, store.ErrExists)
		_, err = s.AddStatement("f", "live", statement("b"), nil)
		wantErr(t, "missing alias", err, store.ErrNotFound)
		_, err = s.AddStatement("f", "3", statement("b"), nil)
		wantErr(t, "missing version", err, store.ErrNotFound)
		_, err = s.AddStatement("g", "", statement("b"), nil)
		wantErr(t, "missing function", err, store.ErrNotFound)
		refuse := errors.New("refused")
		_, err = s.AddStatement("f", "", statement("b"), func(*function.Policy, string) error { return refuse })
		wantErr(t, "refused add", err, refuse)
		p2, err := s.AddStatement("f", "", statement("c"), nil)
		if err != nil || len(p2.Statements) != 2 || p2.RevisionID == p.RevisionID {
			t.Fatalf("second statement: %+v %v", p2, err)
		}
		got, err := s.Policy("f", "")
		if err != nil || len(got.Statements) != 2 || got.RevisionID != p2.RevisionID || got.Statements[1].Sid != "c" {
			t.Fatalf("policy: %+v %v", got, err)
		}
		if err := s.RemoveStatement("f", "", "zzz", nil); !errors.As(err, &pn) || pn.Sid != "zzz" {
			t.Fatalf("remove missing sid: %v", err)
		}
		wantErr(t, "refused remove", s.RemoveStatement("f", "", "a", func(*function.Policy, string) error { return refuse }), refuse)
		for _, sid := range []string{"a", "c"} {
			if err := s.RemoveStatement("f", "", sid, nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Policy("f", ""); !errors.As(err, &pn) {
			t.Fatalf("policy after removing its last statement: %v", err)
		}
		if err := s.RemoveStatement("f", "", "a", nil); !errors.As(err, &pn) || pn.Sid != "" {
			t.Fatalf("remove from no policy: %v", err)
		}
	}},
	{"policies of versions and aliases", func(t *testing.T, _ Harness, s store.Metadata) {
		mustCreate(t, s, "f")
		v := mustPublish(t, s, "f", nil)
		if err := s.CreateAlias(&function.Alias{Name: "live", Function: "f", Version: "1", RevisionID: "alias-rev"}); err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]string{"1": v.RevisionID, "live": "alias-rev"} {
			seen := ""
			if _, err := s.AddStatement("f", q, statement("s-"+q), func(_ *function.Policy, rev string) error { seen = rev; return nil }); err != nil {
				t.Fatal(err)
			}
			if seen != want {
				t.Fatalf("%s: check saw target revision %q, want %q", q, seen, want)
			}
			p, err := s.Policy("f", q)
			if err != nil || p.Qualifier != q || p.Statements[0].Sid != "s-"+q {
				t.Fatalf("policy of %s: %+v %v", q, p, err)
			}
		}
		if _, err := s.Policy("f", ""); !errors.As(err, new(*store.PolicyNotFoundError)) {
			t.Fatalf("the function's own policy: %v", err)
		}
	}},
}
