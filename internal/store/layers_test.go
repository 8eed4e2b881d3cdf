package store

import (
	"errors"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/function"
)

// TestLayerVersions checks numbering (never reused after a delete, per
// layer), listing order, policy updates, and that a function's reference
// keeps a deleted version's code in use.
func TestLayerVersions(t *testing.T) {
	s, _ := openTest(t)
	publish := func(name, sha string) *function.LayerVersion {
		t.Helper()
		lv, err := s.PublishLayerVersion(&function.LayerVersion{Name: name, CodeSHA256: sha, Created: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return lv
	}
	for i, want := range []int64{1, 2, 3} {
		if lv := publish("a", "sha-a"); lv.Version != want {
			t.Fatalf("publish %d of a: version %d, want %d", i, lv.Version, want)
		}
	}
	if lv := publish("a-b", "sha-ab"); lv.Version != 1 {
		t.Fatalf("another layer's first version is %d", lv.Version)
	}
	if _, err := s.DeleteLayerVersion("a", 3); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteLayerVersion("a", 3); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if lv := publish("a", "sha-a"); lv.Version != 4 {
		t.Fatalf("publish after delete: version %d, want 4", lv.Version)
	}
	versions, err := s.LayerVersions("a")
	if err != nil || len(versions) != 3 || versions[0].Version != 4 || versions[2].Version != 1 {
		t.Fatalf("LayerVersions: %v %+v", err, versions)
	}
	names, err := s.Layers()
	if err != nil || len(names) != 2 || names[0] != "a" || names[1] != "a-b" {
		t.Fatalf("Layers: %v %v", err, names)
	}
	lv, err := s.UpdateLayerVersion("a", 1, func(lv *function.LayerVersion) error {
		lv.Policy = append(lv.Policy, function.LayerStatement{Sid: "s", Principal: "*"})
		return nil
	})
	if err != nil || len(lv.Policy) != 1 {
		t.Fatalf("UpdateLayerVersion: %v %+v", err, lv)
	}
	if got, _ := s.LayerVersion("a", 1); len(got.Policy) != 1 {
		t.Fatalf("policy not stored: %+v", got)
	}
	if !inUse(t, s, "sha-ab") {
		t.Fatal("a published layer's code is not in use")
	}
	c := function.Config{Name: "fn", Runtime: "python3.12", CodeSHA256: "code",
		Layers: []function.Layer{{ARN: "arn:aws:lambda:us-east-1:000000000000:layer:a-b:1", CodeSHA256: "sha-ab"}}}
	if err := s.CreateFunction(&function.Function{Latest: c}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteLayerVersion("a-b", 1); err != nil {
		t.Fatal(err)
	}
	if !inUse(t, s, "sha-ab") {
		t.Fatal("the code of a deleted layer version a function uses is not in use")
	}
	if err := s.DeleteFunction("fn"); err != nil {
		t.Fatal(err)
	}
	if inUse(t, s, "sha-ab") {
		t.Fatal("code of a deleted layer version no one uses is still in use")
	}
}
