package api

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/hearth-run/hearth/internal/codestore"
)

func zipWith(t testing.TB, body string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("app.py")
	_, _ = w.Write([]byte(body))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustDo(t *testing.T, s *Server, method, path string, body any, want int) []byte {
	t.Helper()
	b, _ := json.Marshal(body)
	if body == nil {
		b = nil
	}
	rec := do(s, method, path, b)
	if rec.Code != want {
		t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

func createIn(name string, zip []byte) map[string]any {
	return map[string]any{"FunctionName": name, "Runtime": "python3.12", "Role": "arn:aws:iam::000000000000:role/r",
		"Handler": "app.handler", "Code": map[string]any{"ZipFile": zip}}
}

func TestDeleteFunctionRemovesAllItsCode(t *testing.T) {
	s := newTestServer(t)
	code := s.opts.Code.(*codestore.Store)
	one, two, shared := zipWith(t, "one = 1\n"), zipWith(t, "two = 2\n"), zipWith(t, "shared = 1\n")
	mustDo(t, s, http.MethodPost, "/2015-03-31/functions", createIn("f", one), http.StatusCreated)
	mustDo(t, s, http.MethodPost, "/2015-03-31/functions/f/versions", map[string]any{}, http.StatusCreated)
	mustDo(t, s, http.MethodPut, "/2015-03-31/functions/f/code", map[string]any{"ZipFile": two}, http.StatusOK)
	mustDo(t, s, http.MethodPost, "/2015-03-31/functions", createIn("other", shared), http.StatusCreated)
	mustDo(t, s, http.MethodPost, "/2015-03-31/functions", createIn("g", shared), http.StatusCreated)
	if !code.Has(codestore.Address(one)) || !code.Has(codestore.Address(two)) {
		t.Fatal("version 1's and $LATEST's packages should both be stored")
	}
	mustDo(t, s, http.MethodDelete, "/2015-03-31/functions/f", nil, http.StatusNoContent)
	mustDo(t, s, http.MethodDelete, "/2015-03-31/functions/g", nil, http.StatusNoContent)
	for name, z := range map[string][]byte{"version 1's": one, "$LATEST's": two} {
		if code.Has(codestore.Address(z)) {
			t.Errorf("%s package outlived its function", name)
		}
	}
	if !code.Has(codestore.Address(shared)) {
		t.Error("a package another function uses was removed")
	}
}

func TestRejectedUpdateKeepsNoCode(t *testing.T) {
	s := newTestServer(t)
	code := s.opts.Code.(*codestore.Store)
	mustDo(t, s, http.MethodPost, "/2015-03-31/functions", createIn("f", zipWith(t, "a = 1\n")), http.StatusCreated)
	next := zipWith(t, "b = 2\n")
	mustDo(t, s, http.MethodPut, "/2015-03-31/functions/f/code",
		map[string]any{"ZipFile": next, "RevisionId": "stale"}, http.StatusPreconditionFailed)
	if code.Has(codestore.Address(next)) {
		t.Fatal("the package of a rejected update was kept")
	}
}

// TestCreateRacingDeleteOfSameCode creates functions with the code of a
// function being deleted at the same moment: each new function must find
// its code stored.
func TestCreateRacingDeleteOfSameCode(t *testing.T) {
	s := newTestServer(t)
	code := s.opts.Code.(*codestore.Store)
	z := zipWith(t, "same = 1\n")
	for i := range 30 {
		mustDo(t, s, http.MethodPost, "/2015-03-31/functions", createIn("old", z), http.StatusCreated)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			do(s, http.MethodDelete, "/2015-03-31/functions/old", nil)
		}()
		name := fmt.Sprintf("new%d", i)
		go func() {
			defer wg.Done()
			b, _ := json.Marshal(createIn(name, z))
			do(s, http.MethodPost, "/2015-03-31/functions", b)
		}()
		wg.Wait()
		if !code.Has(codestore.Address(z)) {
			t.Fatalf("round %d: %s's code was removed by the delete of another function", i, name)
		}
		mustDo(t, s, http.MethodDelete, "/2015-03-31/functions/"+name, nil, http.StatusNoContent)
	}
}

// TestFunctionLocksPruned creates and deletes functions: no per-function
// lock outlives its requests.
func TestFunctionLocksPruned(t *testing.T) {
	s := newTestServer(t)
	for i := range 5 {
		name := fmt.Sprintf("f%d", i)
		mustDo(t, s, http.MethodPost, "/2015-03-31/functions", createIn(name, zipWith(t, name)), http.StatusCreated)
		mustDo(t, s, http.MethodDelete, "/2015-03-31/functions/"+name, nil, http.StatusNoContent)
	}
	if n := s.fnLocks.len(); n != 0 {
		t.Fatalf("%d function locks kept after their functions were deleted", n)
	}
	var wg sync.WaitGroup
	held := s.lock("x")
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		unlock := s.lock("x")
		close(done)
		unlock()
	}()
	select {
	case <-done:
		t.Fatal("a second holder got the lock")
	default:
	}
	held()
	wg.Wait()
	if n := s.fnLocks.len(); n != 0 {
		t.Fatalf("%d locks kept after release", n)
	}
}
