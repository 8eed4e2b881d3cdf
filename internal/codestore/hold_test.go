package codestore

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestGCWaitsForHold holds a digest as a caller does between its Put and
// the commit of the record that refers to the code: GC may not decide
// about the digest meanwhile, and after the commit it keeps the code.
func TestGCWaitsForHold(t *testing.T) {
	s := openStore(t, Options{})
	zip := buildZip(t, file("index.py", "x = 1\n", 0o644))
	sha := Address(zip)
	release := s.Hold(sha)
	info, err := s.Put(zip)
	if err != nil || info.SHA256 != sha {
		t.Fatalf("Put: %v, digest %s want %s", err, info.SHA256, sha)
	}
	var referenced atomic.Bool
	asked := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		_, err := s.GC(func(string) bool {
			asked <- struct{}{}
			return referenced.Load()
		})
		done <- err
	}()
	select {
	case <-asked:
		t.Fatal("GC asked about a held digest")
	case <-time.After(100 * time.Millisecond):
	}
	referenced.Store(true) // the record is committed
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !s.Has(sha) {
		t.Fatal("GC removed code whose reference was committed under Hold")
	}
	if n := len(s.holds.m); n != 0 {
		t.Fatalf("%d holds left after release", n)
	}
}
