package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

var layerCases = []testCase{
	{"layer versions", func(t *testing.T, _ Harness, s store.Metadata) {
		publish := func(name, sha string) *function.LayerVersion {
			t.Helper()
			lv, err := s.PublishLayerVersion(&function.LayerVersion{Name: name, CodeSHA256: sha, Created: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			return lv
		}
		if names, err := s.Layers(); err != nil || len(names) != 0 {
			t.Fatalf("layers of an empty store: %v %v", names, err)
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
		_, err := s.DeleteLayerVersion("a", 3)
		wantErr(t, "second delete", err, store.ErrNotFound)
		if lv := publish("a", "sha-a"); lv.Version != 4 {
			t.Fatalf("publish after delete: version %d, want 4", lv.Version)
		}
		versions, err := s.LayerVersions("a")
		if err != nil || len(versions) != 3 || versions[0].Version != 4 || versions[1].Version != 2 || versions[2].Version != 1 {
			t.Fatalf("LayerVersions (newest first): %v %+v", err, versions)
		}
		if vs, err := s.LayerVersions("none"); err != nil || len(vs) != 0 {
			t.Fatalf("versions of a missing layer: %v %v", vs, err)
		}
		names, err := s.Layers()
		if err != nil || len(names) != 2 || names[0] != "a" || names[1] != "a-b" {
			t.Fatalf("Layers: %v %v", err, names)
		}
		_, err = s.LayerVersion("a", 3)
		wantErr(t, "deleted version", err, store.ErrNotFound)
	}},
	{"layer policies and code", func(t *testing.T, _ Harness, s store.Metadata) {
		if _, err := s.PublishLayerVersion(&function.LayerVersion{Name: "l", CodeSHA256: "sha-l"}); err != nil {
			t.Fatal(err)
		}
		lv, err := s.UpdateLayerVersion("l", 1, func(lv *function.LayerVersion) error {
			lv.Policy = append(lv.Policy, function.LayerStatement{Sid: "s", Principal: "*"})
			return nil
		})
		if err != nil || len(lv.Policy) != 1 {
			t.Fatalf("UpdateLayerVersion: %v %+v", err, lv)
		}
		refuse := errors.New("refused")
		_, err = s.UpdateLayerVersion("l", 1, func(lv *function.LayerVersion) error { lv.Policy = nil; return refuse })
		wantErr(t, "refused update", err, refuse)
		if got, _ := s.LayerVersion("l", 1); len(got.Policy) != 1 {
			t.Fatalf("policy not stored: %+v", got)
		}
		_, err = s.UpdateLayerVersion("l", 2, func(*function.LayerVersion) error { return nil })
		wantErr(t, "update of a missing version", err, store.ErrNotFound)
		if !inUse(t, s, "sha-l") {
			t.Fatal("a published layer's code is not in use")
		}
		c := function.Config{Name: "fn", Runtime: "python3.12", CodeSHA256: "code",
			Layers: []function.Layer{{ARN: "arn:aws:lambda:us-east-1:000000000000:layer:l:1", CodeSHA256: "sha-l"}}}
		if err := s.CreateFunction(&function.Function{Latest: c}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteLayerVersion("l", 1); err != nil {
			t.Fatal(err)
		}
		if !inUse(t, s, "sha-l") {
			t.Fatal("the code of a deleted layer version a function uses is not in use")
		}
		if err := s.DeleteFunction("fn"); err != nil {
			t.Fatal(err)
		}
		if inUse(t, s, "sha-l") {
			t.Fatal("code of a deleted layer version no one uses is still in use")
		}
	}},
}
