package storetest

import (
	"errors"
	"strconv"
	"testing"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

var versionCases = []testCase{
	{"publish versions", func(t *testing.T, _ Harness, s store.Metadata) {
		_, _, err := s.PublishVersion("ghost", "", nil)
		wantErr(t, "publish of a missing function", err, store.ErrNotFound)
		mustCreate(t, s, "fn")
		steps := []struct {
			name        string
			change      func(*function.Config)
			description string
			want        string
			created     bool
		}{
			{"first publish", nil, "", "1", true},
			{"unchanged", nil, "", "1", false},
			{"new code", func(c *function.Config) { c.CodeSHA256 = "bb" }, "", "2", true},
			{"description only", func(c *function.Config) { c.Description = "d" }, "", "2", false},
			{"new memory", func(c *function.Config) { c.MemoryMB = 256 }, "", "3", true},
			{"own description", func(c *function.Config) { c.TimeoutSec = 9 }, "v4", "4", true},
		}
		for _, st := range steps {
			if st.change != nil {
				if _, err := s.UpdateFunction("fn", func(fn *function.Function) error { st.change(&fn.Latest); return nil }); err != nil {
					t.Fatal(err)
				}
			}
			v, created, err := s.PublishVersion("fn", st.description, nil)
			if err != nil || v.Version != st.want || created != st.created {
				t.Fatalf("%s: version %v created %v err %v; want %s %v", st.name, v, created, err, st.want, st.created)
			}
			if st.description != "" && v.Description != st.description {
				t.Fatalf("%s: description %q", st.name, v.Description)
			}
		}
		refuse := errors.New("refused")
		_, _, err = s.PublishVersion("fn", "", func(*function.Function) error { return refuse })
		wantErr(t, "refused publish", err, refuse)
		if fn, _ := s.Function("fn"); fn.LastVersion != 4 {
			t.Fatalf("last version %d after a refused publish", fn.LastVersion)
		}
	}},
	{"versions in numeric order", func(t *testing.T, _ Harness, s store.Metadata) {
		mustCreate(t, s, "fn")
		for i := 1; i <= 11; i++ {
			mustPublish(t, s, "fn", func(c *function.Config) { c.TimeoutSec = i })
		}
		vs, err := s.Versions("fn")
		if err != nil || len(vs) != 11 {
			t.Fatalf("versions: %d %v", len(vs), err)
		}
		for i, v := range vs {
			if v.Version != strconv.Itoa(i+1) || v.TimeoutSec != i+1 {
				t.Fatalf("versions[%d] is %s (timeout %d)", i, v.Version, v.TimeoutSec)
			}
		}
		v, err := s.Version("fn", "10")
		if err != nil || v.TimeoutSec != 10 {
			t.Fatalf("version 10: %+v %v", v, err)
		}
		for _, q := range []string{"12", "0", "live", function.Latest} {
			_, err := s.Version("fn", q)
			wantErr(t, "version "+q, err, store.ErrNotFound)
		}
		_, err = s.Versions("ghost")
		wantErr(t, "versions of a missing function", err, store.ErrNotFound)
		_, err = s.Version("ghost", "1")
		wantErr(t, "version of a missing function", err, store.ErrNotFound)
	}},
	{"delete versions", func(t *testing.T, _ Harness, s store.Metadata) {
		mustCreate(t, s, "fn")
		mustPublish(t, s, "fn", nil)
		mustPublish(t, s, "fn", func(c *function.Config) { c.MemoryMB = 256 })
		if err := s.PutProvisioned(&function.Provisioned{Function: "fn", Qualifier: "2", Requested: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddStatement("fn", "2", statement("v2"), nil); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteVersion("fn", "2"); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "second delete", s.DeleteVersion("fn", "2"), store.ErrNotFound)
		wantErr(t, "delete $LATEST", s.DeleteVersion("fn", function.Latest), store.ErrNotFound)
		_, err := s.Provisioned("fn", "2")
		wantErr(t, "provisioned config of a deleted version", err, store.ErrNotFound)
		// The number is not reused.
		if v := mustPublish(t, s, "fn", func(c *function.Config) { c.MemoryMB = 512 }); v.Version != "3" {
			t.Fatalf("publish after delete gave version %s", v.Version)
		}
		_, err = s.Policy("fn", "2")
		wantErr(t, "policy of a deleted version", err, store.ErrNotFound)
	}},
}
