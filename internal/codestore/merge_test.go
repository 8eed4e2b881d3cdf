package codestore

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestMerged lays three packages over each other: a later package's file,
// symlink or directory replaces an earlier one's at the same path, other
// entries stay, the result is read-only, cached, valid after the packages
// are deleted, and gone after the next Open.
func TestMerged(t *testing.T) {
	root := filepath.Join(t.TempDir(), "code")
	s := openStore(t, Options{Dir: root})
	put := func(ents ...zent) string {
		t.Helper()
		info, err := s.Put(buildZip(t, ents...))
		if err != nil {
			t.Fatal(err)
		}
		return info.SHA256
	}
	a := put(file("python/a.py", "a", 0o644), file("python/shared.py", "from a", 0o644),
		file("bin/tool", "#!/bin/sh\n", 0o755), dir("lib/"), file("lib/x.so", "x", 0o644), file("etc/conf", "a", 0o644))
	b := put(file("python/shared.py", "from b", 0o644), link("bin/tool", "../python/a.py"),
		file("lib", "now a file", 0o644), file("etc/conf/inner", "dir now", 0o644))
	merged, err := s.Merged([]string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	read := func(rel string) string {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(merged, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	cases := []struct{ path, want string }{
		{"python/a.py", "a"},
		{"python/shared.py", "from b"},
		{"bin/tool", "a"}, // now b's symlink to python/a.py
		{"lib", "now a file"},
		{"etc/conf/inner", "dir now"},
	}
	for _, c := range cases {
		if got := read(c.path); got != c.want {
			t.Errorf("%s = %q, want %q", c.path, got, c.want)
		}
	}
	if err := os.WriteFile(filepath.Join(merged, "python", "new.py"), nil, 0o644); err == nil && os.Geteuid() != 0 {
		t.Error("the merged tree is writable")
	}
	if fi, err := os.Stat(filepath.Join(merged, "python")); err != nil || fi.Mode().Perm() != 0o555 {
		t.Errorf("python/ mode %v, %v; want 0555", fi.Mode(), err)
	}
	reversed, err := s.Merged([]string{b, a})
	if err != nil || reversed == merged {
		t.Fatalf("reversed order: %q, %v", reversed, err)
	}
	if got, _ := os.ReadFile(filepath.Join(reversed, "python/shared.py")); string(got) != "from a" {
		t.Errorf("reversed: shared.py = %q", got)
	}
	again, err := s.Merged([]string{a, b})
	if err != nil || again != merged {
		t.Fatalf("second Merged: %q %v, want the cached %q", again, err, merged)
	}
	empty, err := s.Merged(nil)
	if entries, _ := os.ReadDir(empty); err != nil || len(entries) != 0 {
		t.Fatalf("no packages: %v, entries %v", err, entries)
	}
	for _, sha := range []string{a, b} {
		if err := s.Delete(sha); err != nil {
			t.Fatal(err)
		}
	}
	if got := read("python/shared.py"); got != "from b" {
		t.Errorf("after the packages' deletion: %q", got)
	}
	if _, err := s.Merged([]string{a}); err == nil {
		t.Error("merging a deleted package succeeded")
	}
	assertNoLeftovers(t, s, false)
	s.Close()
	s2 := openStore(t, Options{Dir: root})
	if _, err := os.Stat(merged); !os.IsNotExist(err) {
		t.Errorf("merged tree survived Open: %v", err)
	}
	_ = s2
}

// TestDeclaredSize checks the unzipped size of a package as its directory
// states it and as UnzippedSize reads it from the store.
func TestDeclaredSize(t *testing.T) {
	s := openStore(t, Options{})
	z := buildZip(t, file("a", "12345", 0o644), file("b/c", "678", 0o644))
	n, err := DeclaredSize(z)
	if err != nil || n != 8 {
		t.Fatalf("DeclaredSize = %d, %v; want 8", n, err)
	}
	info, err := s.Put(z)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.UnzippedSize(info.SHA256); err != nil || n != 8 {
		t.Fatalf("UnzippedSize = %d, %v; want 8", n, err)
	}
	if _, err := DeclaredSize([]byte("not a zip")); err == nil {
		t.Fatal("DeclaredSize of garbage succeeded")
	}
}

// BenchmarkMerged measures building the merged tree of two packages of
// 1,000 files each (the cost of the first cold start of a new layer
// combination), against Put of one of them in the same run.
func BenchmarkMerged(b *testing.B) {
	s := openStore(b, Options{})
	pkg := func(tag string) []byte {
		var ents []zent
		for i := 0; i < 1000; i++ {
			ents = append(ents, file(fmt.Sprintf("python/pkg%02d/mod%03d.py", i%50, i), tag, 0o644))
		}
		return buildZip(b, ents...)
	}
	za, zb := pkg("a"), pkg("b")
	b.Run("put", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			info, err := s.Put(za)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if err := s.Delete(info.SHA256); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
	ia, err := s.Put(za)
	if err != nil {
		b.Fatal(err)
	}
	ib, err := s.Put(zb)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("merge", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			dir, err := s.Merged([]string{ia.SHA256, ib.SHA256})
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if err := removeAll(dir); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
	b.Run("cached", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.Merged([]string{ia.SHA256, ib.SHA256}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
