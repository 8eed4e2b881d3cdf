package storetest

import (
	"errors"
	"testing"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

var aliasCases = []testCase{
	{"aliases", func(t *testing.T, _ Harness, s store.Metadata) {
		mustCreate(t, s, "fn")
		mustPublish(t, s, "fn", nil)
		mustPublish(t, s, "fn", func(c *function.Config) { c.MemoryMB = 256 })
		a := &function.Alias{Name: "live", Function: "fn", Version: "1", Weights: map[string]float64{"2": 0.5}, RevisionID: "r1"}
		if err := s.CreateAlias(a); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "duplicate alias", s.CreateAlias(a), store.ErrExists)
		wantErr(t, "alias of a missing function", s.CreateAlias(&function.Alias{Name: "x", Function: "ghost", Version: "1"}), store.ErrNotFound)
		var mv *store.MissingVersionError
		if err := s.CreateAlias(&function.Alias{Name: "x", Function: "fn", Version: "99"}); !errors.As(err, &mv) || mv.Version != "99" || !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("alias to a missing version: %v", err)
		}
		if err := s.CreateAlias(&function.Alias{Name: "x", Function: "fn", Version: "1", Weights: map[string]float64{"98": 0.1}}); !errors.As(err, &mv) || mv.Version != "98" {
			t.Fatalf("alias routing to a missing version: %v", err)
		}
		if err := s.CreateAlias(&function.Alias{Name: "head", Function: "fn", Version: function.Latest}); err != nil {
			t.Fatalf("alias to $LATEST: %v", err)
		}
		got, err := s.Alias("fn", "live")
		if err != nil || got.Version != "1" || got.Weights["2"] != 0.5 || got.RevisionID != "r1" {
			t.Fatalf("alias: %+v %v", got, err)
		}
		_, err = s.Alias("fn", "nope")
		wantErr(t, "missing alias", err, store.ErrNotFound)
		_, err = s.Alias("ghost", "live")
		wantErr(t, "alias of a missing function", err, store.ErrNotFound)
		as, err := s.Aliases("fn")
		if err != nil || len(as) != 2 || as[0].Name != "head" || as[1].Name != "live" {
			t.Fatalf("aliases: %+v %v", as, err)
		}
		var inUse *store.InUseError
		for _, v := range []string{"1", "2"} {
			if err := s.DeleteVersion("fn", v); !errors.As(err, &inUse) || len(inUse.Aliases) != 1 || inUse.Aliases[0] != "live" || !errors.Is(err, store.ErrInUse) {
				t.Fatalf("delete version %s routed to by an alias: %v", v, err)
			}
		}
	}},
	{"update and delete aliases", func(t *testing.T, _ Harness, s store.Metadata) {
		mustCreate(t, s, "fn")
		mustPublish(t, s, "fn", nil)
		mustPublish(t, s, "fn", func(c *function.Config) { c.MemoryMB = 256 })
		if err := s.CreateAlias(&function.Alias{Name: "live", Function: "fn", Version: "1"}); err != nil {
			t.Fatal(err)
		}
		a, err := s.UpdateAlias("fn", "live", func(a *function.Alias) error { a.Version = "2"; a.Description = "d"; return nil })
		if err != nil || a.Version != "2" {
			t.Fatalf("update: %+v %v", a, err)
		}
		_, err = s.UpdateAlias("fn", "live", func(a *function.Alias) error { a.Version = "42"; return nil })
		wantErr(t, "update to a missing version", err, store.ErrNotFound)
		refuse := errors.New("refused")
		_, err = s.UpdateAlias("fn", "live", func(a *function.Alias) error { a.Version = "1"; return refuse })
		wantErr(t, "refused update", err, refuse)
		if got, _ := s.Alias("fn", "live"); got.Version != "2" || got.Description != "d" {
			t.Fatalf("a failed update was written: %+v", got)
		}
		_, err = s.UpdateAlias("fn", "nope", func(*function.Alias) error { return nil })
		wantErr(t, "update of a missing alias", err, store.ErrNotFound)
		if err := s.DeleteVersion("fn", "1"); err != nil {
			t.Fatalf("version 1 is no longer routed to: %v", err)
		}
		if err := s.PutProvisioned(&function.Provisioned{Function: "fn", Qualifier: "live", Requested: 3}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddStatement("fn", "live", statement("a"), nil); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateURLConfig(&function.URLConfig{Function: "fn", Qualifier: "live", URLID: function.NewURLID(), AuthType: function.AuthNone}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAlias("fn", "live"); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "second delete", s.DeleteAlias("fn", "live"), store.ErrNotFound)
		_, err = s.Provisioned("fn", "live")
		wantErr(t, "provisioned config of a deleted alias", err, store.ErrNotFound)
		_, err = s.URLConfig("fn", "live")
		wantErr(t, "URL of a deleted alias", err, store.ErrNotFound)
		if err := s.CreateAlias(&function.Alias{Name: "live", Function: "fn", Version: "2"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Policy("fn", "live"); !errors.As(err, new(*store.PolicyNotFoundError)) {
			t.Fatalf("a re-created alias inherited a policy: %v", err)
		}
	}},
	{"provisioned concurrency configs", func(t *testing.T, _ Harness, s store.Metadata) {
		wantErr(t, "config of a missing function", s.PutProvisioned(&function.Provisioned{Function: "ghost", Qualifier: "1"}), store.ErrNotFound)
		for _, name := range []string{"a", "b"} {
			mustCreate(t, s, name)
			mustPublish(t, s, name, nil)
			if err := s.PutProvisioned(&function.Provisioned{Function: name, Qualifier: "1", Requested: 2}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.PutProvisioned(&function.Provisioned{Function: "a", Qualifier: "1", Requested: 5}); err != nil {
			t.Fatal(err)
		}
		p, err := s.Provisioned("a", "1")
		if err != nil || p.Requested != 5 {
			t.Fatalf("replaced config: %+v %v", p, err)
		}
		all, err := s.ProvisionedConfigs("")
		if err != nil || len(all) != 2 {
			t.Fatalf("all configs: %+v %v", all, err)
		}
		if mine, _ := s.ProvisionedConfigs("b"); len(mine) != 1 || mine[0].Function != "b" {
			t.Fatalf("b's configs: %+v", mine)
		}
		if err := s.DeleteProvisioned("a", "1"); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "second delete", s.DeleteProvisioned("a", "1"), store.ErrNotFound)
		_, err = s.Provisioned("a", "1")
		wantErr(t, "deleted config", err, store.ErrNotFound)
	}},
}
