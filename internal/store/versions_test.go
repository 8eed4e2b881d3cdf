package store

import (
	"errors"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/function"
)

func TestVersionsAliasesProvisioned(t *testing.T) {
	s, _ := openTest(t)
	c := function.Config{Name: "fn", Runtime: "python3.12", Handler: "app.handler", CodeSHA256: "aa"}
	c.ApplyDefaults()
	c.Touch(time.Now())
	if err := s.CreateFunction(&function.Function{Latest: c}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		change  func(*function.Config)
		want    string
		created bool
	}{
		{"first publish", nil, "1", true},
		{"unchanged", nil, "1", false},
		{"new code", func(c *function.Config) { c.CodeSHA256 = "bb" }, "2", true},
		{"description only", func(c *function.Config) { c.Description = "d" }, "2", false},
		{"new memory", func(c *function.Config) { c.MemoryMB = 256 }, "3", true},
	}
	for _, st := range steps {
		if st.change != nil {
			if _, err := s.UpdateFunction("fn", func(fn *function.Function) error { st.change(&fn.Latest); return nil }); err != nil {
				t.Fatal(err)
			}
		}
		v, created, err := s.PublishVersion("fn", "", nil)
		if err != nil || v.Version != st.want || created != st.created {
			t.Errorf("%s: version %v created %v err %v; want %s %v", st.name, v.Version, created, err, st.want, st.created)
		}
	}
	// Numeric order beyond nine versions.
	for i := 4; i <= 11; i++ {
		if _, err := s.UpdateFunction("fn", func(fn *function.Function) error { fn.Latest.TimeoutSec = i; return nil }); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.PublishVersion("fn", "", nil); err != nil {
			t.Fatal(err)
		}
	}
	vs, err := s.Versions("fn")
	if err != nil || len(vs) != 11 || vs[9].Version != "10" || vs[10].Version != "11" {
		t.Fatalf("versions: %d %v", len(vs), err)
	}

	a := &function.Alias{Name: "live", Function: "fn", Version: "1", Weights: map[string]float64{"2": 0.5}}
	if err := s.CreateAlias(a); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAlias(a); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate alias: %v", err)
	}
	var mv *MissingVersionError
	if err := s.CreateAlias(&function.Alias{Name: "x", Function: "fn", Version: "99"}); !errors.As(err, &mv) || mv.Version != "99" {
		t.Errorf("alias to a missing version: %v", err)
	}
	var inUse *InUseError
	if err := s.DeleteVersion("fn", "2"); !errors.As(err, &inUse) || inUse.Aliases[0] != "live" {
		t.Errorf("delete a routed version: %v", err)
	}
	if err := s.PutProvisioned(&function.Provisioned{Function: "fn", Qualifier: "live", Requested: 3}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAlias("fn", "live"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Provisioned("fn", "live"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting an alias keeps its provisioned config: %v", err)
	}
	if err := s.DeleteVersion("fn", "2"); err != nil {
		t.Errorf("delete version: %v", err)
	}
	if err := s.PutProvisioned(&function.Provisioned{Function: "fn", Qualifier: "1", Requested: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteFunction("fn"); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.ProvisionedConfigs(""); len(all) != 0 {
		t.Errorf("provisioned configs survive their function: %+v", all)
	}
}
