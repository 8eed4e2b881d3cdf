package codestore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzPut feeds arbitrary bytes to Put: it must never panic, never write
// outside its directory, leave nothing behind on error, and on success
// publish a tree whose symlinks all resolve inside it.
func FuzzPut(f *testing.F) {
	big := bytes.Repeat([]byte("z"), 64<<10)
	seeds := [][]zent{
		{file("bootstrap", "#!/bin/sh\n", 0o755), file("lib/a.txt", "a", 0o644), link("cur", "lib/a.txt")},
		{dir("d/"), link("d/l", ".."), link("m", "d/l/..")},
		{file("../x", "x", 0o644)},
		{file("/abs", "x", 0o644)},
		{file(`a\..\x`, "x", 0o644)},
		{file("a", "1", 0o644), file("a", "2", 0o644)},
		{dir("sub/"), link("l", "sub"), file("l/f", "x", 0o644)},
		{link("a", "b"), link("b", "a")},
		{rawDeflate(f, "bomb", big, 10, crcOf(big))},
		{{name: "bootstrap", body: "windows"}},
	}
	for _, ents := range seeds {
		f.Add(buildZip(f, ents...))
	}
	f.Add([]byte("PK\x05\x06"))
	// One store per fuzzing process, emptied after every input: a fresh
	// directory per input would cost more than most Puts.
	root := f.TempDir()
	s, err := Open(Options{Dir: filepath.Join(root, "code"), MaxUnzippedBytes: 1 << 20, MaxFiles: 64})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := s.Put(data)
		if entries, _ := os.ReadDir(root); len(entries) != 1 {
			t.Fatalf("Put wrote outside its directory: %v", entries)
		}
		if err != nil {
			known := []error{ErrNotZip, ErrZipTooLarge, ErrUnzippedTooLarge, ErrUnsafePath, ErrTooManyFiles}
			if !isAny(err, known) {
				t.Fatalf("Put = %v, not one of the sentinels", err)
			}
			assertNoLeftovers(t, s, true)
			return
		}
		assertNoLeftovers(t, s, false)
		tree, err := s.Tree(info.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		assertContained(t, tree)
		if err := s.Delete(info.SHA256); err != nil {
			t.Fatal(err)
		}
		assertNoLeftovers(t, s, true)
	})
}

func isAny(err error, targets []error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// assertContained checks that every symlink under tree, fully resolved by
// the kernel, stays inside tree.
func assertContained(t *testing.T, tree string) {
	t.Helper()
	real, err := filepath.EvalSymlinks(tree)
	if err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return err
		}
		to, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil // dangling or looping inside the tree
		}
		if to != real && !strings.HasPrefix(to, real+string(filepath.Separator)) {
			t.Errorf("symlink %s resolves to %s, outside the tree", p, to)
		}
		return nil
	})
}

// BenchmarkPut stores a 2 MB zip of 96 files (64 incompressible, 32
// compressible). Each iteration stores new content: the digest differs.
// Most of the time is the flush to disk (one syncfs) of the tree and zip.
func BenchmarkPut(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	var ents []zent
	for i := range 96 {
		body := make([]byte, 32<<10)
		if i < 64 {
			for j := range body {
				body[j] = byte(rng.Uint32())
			}
		} else {
			copy(body, bytes.Repeat([]byte("lambda "), len(body)/7))
		}
		ents = append(ents, file(fmt.Sprintf("lib/pkg%d/f%d.py", i%8, i), string(body), 0o644))
	}
	ents = append(ents, file("bootstrap", "", 0o755))
	s := openStore(b, Options{})
	zips := make([][]byte, b.N)
	for i := range zips {
		ents[len(ents)-1].body = fmt.Sprint(i)
		zips[i] = buildZip(b, ents...)
	}
	b.SetBytes(int64(len(zips[0])))
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Put(zips[i]); err != nil {
			b.Fatal(err)
		}
	}
}
