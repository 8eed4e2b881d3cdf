package store

import (
	"testing"

	"github.com/hearth-run/hearth/internal/function"
	bolt "go.etcd.io/bbolt"
)

func inUse(t *testing.T, s *Store, sha string) bool {
	t.Helper()
	used, err := s.CodeInUse(sha)
	if err != nil {
		t.Fatal(err)
	}
	return used
}

// TestCodeRefs follows one package through a function's life and checks
// after each step that the stored counts match a recount of the records.
func TestCodeRefs(t *testing.T) {
	s, path := openTest(t)
	check := func(step string, want map[string]bool) {
		t.Helper()
		if err := s.CheckCodeRefs(); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		for sha, used := range want {
			if got := inUse(t, s, sha); got != used {
				t.Fatalf("%s: CodeInUse(%s) = %v, want %v", step, sha, got, used)
			}
		}
	}
	layer := function.Layer{ARN: "arn:aws:lambda:us-east-1:000000000000:layer:l:1", CodeSHA256: "lay"}
	c := function.Config{Name: "f", Runtime: "python3.12", CodeSHA256: "one", Layers: []function.Layer{layer}}
	if err := s.CreateFunction(&function.Function{Latest: c}); err != nil {
		t.Fatal(err)
	}
	check("create", map[string]bool{"one": true, "lay": true, "two": false})
	if _, _, err := s.PublishVersion("f", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateFunction("f", func(fn *function.Function) error {
		fn.Latest.CodeSHA256, fn.Latest.Layers = "two", nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	check("update", map[string]bool{"one": true, "lay": true, "two": true}) // version 1 keeps one and lay
	if err := s.DeleteVersion("f", "1"); err != nil {
		t.Fatal(err)
	}
	check("delete version", map[string]bool{"one": false, "lay": false, "two": true})
	if _, _, err := s.PublishVersion("f", "", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteFunction("f"); err != nil {
		t.Fatal(err)
	}
	check("delete function", map[string]bool{"two": false})

	// A database from before the counts gets them on open.
	if err := s.CreateFunction(&function.Function{Latest: c}); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketCodeRefs) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	s = s2
	check("reopen", map[string]bool{"one": true, "lay": true})
}
