package server

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/sandbox"
	bolt "go.etcd.io/bbolt"
)

// The recent scale-out survives closing and reopening the database.
func TestBoltScaleOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hearth.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if so, err := (boltScaleOut{db}).LoadScaleOut(); err != nil || so.Peak != 0 || !so.At.IsZero() {
		t.Fatalf("LoadScaleOut() of a new database = %+v, %v; want the zero one", so, err)
	}
	want := sandbox.ScaleOut{Peak: 486, At: time.Date(2026, 12, 2, 4, 30, 0, 0, time.UTC)}
	if err := (boltScaleOut{db}).SaveScaleOut(want); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = bolt.Open(path, 0o600, nil); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, err := (boltScaleOut{db}).LoadScaleOut(); err != nil || got.Peak != want.Peak || !got.At.Equal(want.At) {
		t.Errorf("LoadScaleOut() after a reopen = %+v, %v; want %+v", got, err, want)
	}
}
