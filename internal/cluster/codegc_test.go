package cluster

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hearth-run/hearth/internal/codestore"
)

// refsFunc is a CodeRefs from a function.
type refsFunc func(sha string) (bool, error)

func (f refsFunc) CodeInUse(sha string) (bool, error) { return f(sha) }

func testZip(t *testing.T, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.Create("app.py")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(content))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCollect: the sweep deletes only packages that nothing refers to and
// that are older than the grace period, and puts back one that came into
// use while it was being deleted.
func TestCollect(t *testing.T) {
	node := testNodes(t, 1)[0]
	cache, err := codestore.Open(codestore.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	code, err := OpenCode(ctx, node.JS, "test-code", 1, cache)
	if err != nil {
		t.Fatal(err)
	}
	code.settle = 10 * time.Millisecond
	used, err := code.Put(testZip(t, "used"))
	if err != nil {
		t.Fatal(err)
	}
	unused, err := code.Put(testZip(t, "unused"))
	if err != nil {
		t.Fatal(err)
	}
	refs := refsFunc(func(sha string) (bool, error) { return sha == used.SHA256, nil })
	if n, err := code.Collect(ctx, refs, time.Hour); n != 0 || err != nil {
		t.Fatalf("fresh packages: %d collected, %v", n, err)
	}
	broken := refsFunc(func(string) (bool, error) { return false, errors.New("store unreachable") })
	if n, err := code.Collect(ctx, broken, 0); n != 0 || err != nil {
		t.Fatalf("references unknown: %d collected, %v", n, err)
	}
	if n, err := code.Collect(ctx, refs, 0); n != 1 || err != nil {
		t.Fatalf("one unused package: %d collected, %v", n, err)
	}
	if _, err := code.obj.GetInfo(ctx, unused.SHA256); !errors.Is(err, jetstream.ErrObjectNotFound) {
		t.Fatalf("the unused package is still there: %v", err)
	}
	if _, err := code.obj.GetInfo(ctx, used.SHA256); err != nil {
		t.Fatalf("the used package is gone: %v", err)
	}
	// A package that comes into use between the check and the delete (the
	// same zip deployed again) is put back.
	again, err := code.Put(testZip(t, "again"))
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	racing := refsFunc(func(sha string) (bool, error) { return sha == used.SHA256 || calls.Add(1) > 1, nil })
	if n, err := code.Collect(ctx, racing, 0); n != 0 || err != nil {
		t.Fatalf("a package that came into use: %d collected, %v", n, err)
	}
	if b, err := code.obj.GetBytes(ctx, again.SHA256); err != nil || !bytes.Equal(b, testZip(t, "again")) {
		t.Fatalf("the package that came into use was not put back: %v", err)
	}
}
