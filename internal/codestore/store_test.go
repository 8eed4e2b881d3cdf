package codestore

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// want describes one path of an unpacked tree.
type want struct {
	mode fs.FileMode // permission bits, with fs.ModeDir or fs.ModeSymlink
	body string      // file content or symlink target
}

func TestPutRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		ents []zent
		want map[string]want
	}{
		{
			name: "unix modes, nested dirs, symlinks",
			ents: []zent{
				file("bootstrap", "#!/bin/sh\necho hi\n", 0o755),
				dir("lib/"),
				file("lib/a/b.txt", "hello", 0o600),
				file("lib/tool", "x", 0o700),
				file("./dot/c.txt", "c", 0o644),
				link("current", "lib/a"),
				link("lib/a/up", "../tool"),
				link("lib/dangling", "missing/file"),
				link("lib/a/self", "./b.txt"),
			},
			want: map[string]want{
				"":             {fs.ModeDir | 0o555, ""},
				"bootstrap":    {0o555, "#!/bin/sh\necho hi\n"},
				"lib":          {fs.ModeDir | 0o555, ""},
				"lib/a":        {fs.ModeDir | 0o555, ""},
				"lib/a/b.txt":  {0o444, "hello"},
				"lib/tool":     {0o555, "x"},
				"dot":          {fs.ModeDir | 0o555, ""},
				"dot/c.txt":    {0o444, "c"},
				"current":      {fs.ModeSymlink, "lib/a"},
				"lib/a/up":     {fs.ModeSymlink, "../tool"},
				"lib/dangling": {fs.ModeSymlink, "missing/file"},
				"lib/a/self":   {fs.ModeSymlink, "./b.txt"},
			},
		},
		{
			name: "windows zip without unix modes",
			ents: []zent{
				{name: "bootstrap", body: "run"},
				{name: "bin/bootstrap", body: "run2"},
				{name: "app.py", body: "def handler(e, c): pass"},
			},
			want: map[string]want{
				"":              {fs.ModeDir | 0o555, ""},
				"bootstrap":     {0o555, "run"},
				"bin":           {fs.ModeDir | 0o555, ""},
				"bin/bootstrap": {0o555, "run2"},
				"app.py":        {0o444, "def handler(e, c): pass"},
			},
		},
		{
			name: "empty archive",
			ents: nil,
			want: map[string]want{"": {fs.ModeDir | 0o555, ""}},
		},
		{
			name: "repeated directory entries and root entry",
			ents: []zent{dir("./"), dir("a/"), dir("a/"), file("a/f", "f", 0o644)},
			want: map[string]want{
				"":    {fs.ModeDir | 0o555, ""},
				"a":   {fs.ModeDir | 0o555, ""},
				"a/f": {0o444, "f"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, Options{})
			z := buildZip(t, tt.ents...)
			info, err := s.Put(z)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(z)
			wantInfo := Info{hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:]), int64(len(z))}
			if info != wantInfo {
				t.Fatalf("info = %+v, want %+v", info, wantInfo)
			}
			if !s.Has(info.SHA256) {
				t.Fatal("Has = false after Put")
			}
			zp, err := s.ZipPath(info.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(zp); !bytes.Equal(got, z) {
				t.Fatal("stored zip differs from the upload")
			}
			tree, err := s.Tree(info.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if got := readTree(t, tree); !equalTrees(got, tt.want) {
				t.Errorf("tree:\n got %v\nwant %v", got, tt.want)
			}
			assertNoLeftovers(t, s, false)
		})
	}
}

// readTree describes every path under root.
func readTree(t *testing.T, root string) map[string]want {
	t.Helper()
	got := map[string]want{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			rel = ""
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		w := want{mode: fi.Mode().Type() | fi.Mode().Perm()}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			w.mode = fs.ModeSymlink
			w.body, err = os.Readlink(p)
		case fi.Mode().IsRegular():
			var b []byte
			b, err = os.ReadFile(p)
			w.body = string(b)
		}
		got[filepath.ToSlash(rel)] = w
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func equalTrees(a, b map[string]want) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestPutRejects(t *testing.T) {
	big := bytes.Repeat([]byte{0}, 4<<20)
	small := Options{MaxUnzippedBytes: 1 << 20, MaxFiles: 16}
	tests := []struct {
		name string
		zip  func(t *testing.T) []byte
		opts Options
		want error
	}{
		{"not a zip", func(*testing.T) []byte { return []byte("this is not a zip file at all") }, small, ErrNotZip},
		{"empty input", func(*testing.T) []byte { return nil }, small, ErrNotZip},
		{"truncated", func(t *testing.T) []byte { z := buildZip(t, file("a", "aaaa", 0o644)); return z[:len(z)-10] }, small, ErrNotZip},
		{"zip over the size limit", func(t *testing.T) []byte { return buildZip(t, file("a", strings.Repeat("x", 100), 0o644)) }, Options{MaxZipBytes: 64}, ErrZipTooLarge},
		{"dot dot", func(t *testing.T) []byte { return buildZip(t, file("../x", "x", 0o644)) }, small, ErrUnsafePath},
		{"absolute", func(t *testing.T) []byte { return buildZip(t, file("/abs", "x", 0o644)) }, small, ErrUnsafePath},
		{"dot dot inside", func(t *testing.T) []byte { return buildZip(t, file("a/../../x", "x", 0o644)) }, small, ErrUnsafePath},
		{"harmless dot dot", func(t *testing.T) []byte { return buildZip(t, file("a/../b", "x", 0o644)) }, small, ErrUnsafePath},
		{"drive letter", func(t *testing.T) []byte { return buildZip(t, file("C:/x", "x", 0o644)) }, small, ErrUnsafePath},
		{"backslash dot dot", func(t *testing.T) []byte { return buildZip(t, file(`a\..\..\x`, "x", 0o644)) }, small, ErrUnsafePath},
		{"backslash drive", func(t *testing.T) []byte { return buildZip(t, file(`C:\x`, "x", 0o644)) }, small, ErrUnsafePath},
		{"nul byte", func(t *testing.T) []byte { return buildZip(t, file("a\x00b", "x", 0o644)) }, small, ErrUnsafePath},
		{"long component", func(t *testing.T) []byte { return buildZip(t, file(strings.Repeat("n", 256), "x", 0o644)) }, small, ErrUnsafePath},
		{"duplicate file", func(t *testing.T) []byte { return buildZip(t, file("a", "1", 0o644), file("./a", "2", 0o644)) }, small, ErrUnsafePath},
		{"file then dir", func(t *testing.T) []byte { return buildZip(t, file("a", "1", 0o644), dir("a/")) }, small, ErrUnsafePath},
		{"entry under a file", func(t *testing.T) []byte { return buildZip(t, file("a", "1", 0o644), file("a/b", "2", 0o644)) }, small, ErrUnsafePath},
		{"write through symlink", func(t *testing.T) []byte { return buildZip(t, dir("sub/"), link("l", "sub"), file("l/f", "x", 0o644)) }, small, ErrUnsafePath},
		{"symlink replaces file", func(t *testing.T) []byte { return buildZip(t, file("a", "x", 0o644), link("a", "b")) }, small, ErrUnsafePath},
		{"symlink absolute", func(t *testing.T) []byte { return buildZip(t, link("l", "/etc/passwd")) }, small, ErrUnsafePath},
		{"symlink escaping", func(t *testing.T) []byte { return buildZip(t, link("a/l", "../../etc/passwd")) }, small, ErrUnsafePath},
		{"symlink to parent of root", func(t *testing.T) []byte { return buildZip(t, link("l", "..")) }, small, ErrUnsafePath},
		{"symlink empty", func(t *testing.T) []byte { return buildZip(t, link("l", "")) }, small, ErrUnsafePath},
		{"symlink chain escaping", func(t *testing.T) []byte {
			// Each target alone stays inside; followed, m reaches the parent.
			return buildZip(t, dir("d/"), link("d/l", ".."), link("m", "d/l/.."))
		}, small, ErrUnsafePath},
		{"symlink chain escaping, order reversed", func(t *testing.T) []byte {
			return buildZip(t, link("m", "d/l/../x"), dir("d/"), link("d/l", ".."))
		}, small, ErrUnsafePath},
		{"symlink through dir link escaping", func(t *testing.T) []byte {
			return buildZip(t, dir("a/b/"), link("up", "a/b"), link("x", "up/../../.."))
		}, small, ErrUnsafePath},
		{"symlink loop", func(t *testing.T) []byte { return buildZip(t, link("a", "b"), link("b", "a")) }, small, ErrUnsafePath},
		{"symlink target too long", func(t *testing.T) []byte { return buildZip(t, link("l", strings.Repeat("a/", 2100))) }, Options{}, ErrUnsafePath},
		{"bomb with honest header", func(t *testing.T) []byte { return buildZip(t, zent{name: "zeros", body: string(big), mode: 0o644}) }, small, ErrUnzippedTooLarge},
		{"bomb with lying header", func(t *testing.T) []byte { return buildZip(t, rawDeflate(t, "zeros", big, 100, crcOf(big))) }, small, ErrUnzippedTooLarge},
		{"bomb split across entries", func(t *testing.T) []byte {
			part := string(big[:300<<10])
			return buildZip(t, file("a", part, 0o644), file("b", part, 0o644), file("c", part, 0o644), file("d", part, 0o644))
		}, small, ErrUnzippedTooLarge},
		{"lying entries under the limit are corrupt", func(t *testing.T) []byte {
			part := big[:300<<10]
			var ents []zent
			for _, n := range []string{"a", "b", "c", "d"} {
				ents = append(ents, rawDeflate(t, n, part, 10, crcOf(part)))
			}
			return buildZip(t, ents...)
		}, small, ErrNotZip},
		{"header size lies small", func(t *testing.T) []byte {
			return buildZip(t, rawDeflate(t, "a", []byte("0123456789"), 5, crcOf([]byte("0123456789"))))
		}, small, ErrNotZip},
		{"checksum mismatch", func(t *testing.T) []byte { return buildZip(t, rawDeflate(t, "a", []byte("0123456789"), 10, 12345)) }, small, ErrNotZip},
		{"unsupported method", func(t *testing.T) []byte {
			h := rawDeflate(t, "a", []byte("x"), 1, crcOf([]byte("x")))
			h.raw.Method = 12 // bzip2
			return buildZip(t, h)
		}, small, ErrNotZip},
		{"encrypted", func(t *testing.T) []byte {
			h := rawDeflate(t, "a", []byte("x"), 1, crcOf([]byte("x")))
			h.raw.Flags |= 0x1
			return buildZip(t, h)
		}, small, ErrNotZip},
		{"too many files", func(t *testing.T) []byte {
			var ents []zent
			for i := 0; i < 17; i++ {
				ents = append(ents, file(strings.Repeat("f", i+1), "x", 0o644))
			}
			return buildZip(t, ents...)
		}, small, ErrTooManyFiles},
		{"too many implicit directories", func(t *testing.T) []byte {
			return buildZip(t, file(strings.Repeat("d/", 20)+"f", "x", 0o644))
		}, small, ErrTooManyFiles},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, tt.opts)
			info, err := s.Put(tt.zip(t))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Put = %+v, %v; want %v", info, err, tt.want)
			}
			if msg := err.Error(); msg != strings.ToLower(msg[:1])+msg[1:] {
				t.Errorf("error %q does not start lowercase", msg)
			}
			assertNoLeftovers(t, s, true)
		})
	}
}

func TestPutIdempotentAndConcurrent(t *testing.T) {
	s := openStore(t, Options{})
	z := buildZip(t, file("bootstrap", "x", 0o755), file("lib/a", "a", 0o644))
	first, err := s.Put(z)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Put(z)
	if err != nil || again != first {
		t.Fatalf("second Put = %+v, %v; want %+v", again, err, first)
	}

	// Concurrent Puts of new content: all succeed with the same Info.
	z2 := buildZip(t, file("bootstrap", "y", 0o755), file("lib/b", "b", 0o644))
	var wg sync.WaitGroup
	infos := make([]Info, 4)
	errs := make([]error, 4)
	for i := range infos {
		wg.Add(1)
		go func() {
			defer wg.Done()
			infos[i], errs[i] = s.Put(z2)
		}()
	}
	wg.Wait()
	for i := range infos {
		if errs[i] != nil || infos[i] != infos[0] {
			t.Errorf("Put %d = %+v, %v; want %+v", i, infos[i], errs[i], infos[0])
		}
	}
	tree, err := s.Tree(infos[0].SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if got := readTree(t, tree); len(got) != 4 || got["lib/b"].body != "b" {
		t.Errorf("tree after concurrent Puts = %v", got)
	}
	entries, _ := os.ReadDir(s.trees)
	if len(entries) != 2 {
		t.Errorf("trees/ holds %d entries, want 2", len(entries))
	}
	assertNoLeftovers(t, s, false)
}
