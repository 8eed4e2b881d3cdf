package store_test

import (
	"path/filepath"
	"testing"

	"github.com/hearth-run/hearth/internal/store"
	"github.com/hearth-run/hearth/internal/store/storetest"
)

// TestConformance runs the store.Metadata conformance suite against bbolt.
func TestConformance(t *testing.T) {
	paths := map[store.Metadata]string{}
	open := func(t *testing.T, path string) store.Metadata {
		s, err := store.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		paths[s] = path
		return s
	}
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) store.Metadata {
			return open(t, filepath.Join(t.TempDir(), "hearth.db"))
		},
		Reopen: func(t *testing.T, s store.Metadata) store.Metadata {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2 := open(t, paths[s])
			if err := s2.(*store.Store).CheckCodeRefs(); err != nil {
				t.Fatal(err)
			}
			return s2
		},
	})
}
