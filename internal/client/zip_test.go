package client

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeTree creates files (name -> content; mode 0755 when the name is in
// exec) under dir, in the given order.
func writeTree(t *testing.T, dir string, order []string, files map[string]string, exec map[string]bool) {
	t.Helper()
	for _, name := range order {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if exec[name] {
			mode = 0o755
		}
		if err := os.WriteFile(path, []byte(files[name]), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}
}

func mustZip(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := Zip(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestZipDeterministic(t *testing.T) {
	files := map[string]string{"app.py": "def handler(e, c):\n    return 1\n", "lib/util.py": "X = 1\n", "bootstrap": "#!/bin/sh\n"}
	exec := map[string]bool{"bootstrap": true}
	a, b := t.TempDir(), t.TempDir()
	writeTree(t, a, []string{"app.py", "lib/util.py", "bootstrap"}, files, exec)
	writeTree(t, b, []string{"bootstrap", "lib/util.py", "app.py"}, files, exec)
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(b, "app.py"), old, old); err != nil {
		t.Fatal(err)
	}
	za := mustZip(t, a)
	if zb := mustZip(t, b); !bytes.Equal(za, zb) {
		t.Fatal("same tree, different creation order and times: zips differ")
	}
	if again := mustZip(t, a); !bytes.Equal(za, again) {
		t.Fatal("zipping twice gave different bytes")
	}
	writeTree(t, b, []string{"app.py"}, map[string]string{"app.py": "changed\n"}, nil)
	if zb := mustZip(t, b); bytes.Equal(za, zb) {
		t.Fatal("changed content, same zip")
	}
	writeTree(t, b, []string{"app.py"}, files, map[string]bool{"app.py": true})
	if zb := mustZip(t, b); bytes.Equal(za, zb) {
		t.Fatal("changed exec bit, same zip")
	}
}

func TestZipContents(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, []string{"b.txt", "a/x.sh", "bootstrap"},
		map[string]string{"b.txt": "bee", "a/x.sh": "echo", "bootstrap": "boot"},
		map[string]bool{"a/x.sh": true, "bootstrap": true})
	if err := os.Chmod(filepath.Join(dir, "b.txt"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("b.txt", filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(mustZip(t, dir)), int64(len(mustZip(t, dir))))
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		mode os.FileMode
		body string
	}
	want := []struct {
		name string
		entry
	}{
		{"a/", entry{os.ModeDir | 0o755, ""}},
		{"a/x.sh", entry{0o755, "echo"}},
		{"b.txt", entry{0o644, "bee"}},
		{"bootstrap", entry{0o755, "boot"}},
		{"link.txt", entry{0o644, "bee"}},
	}
	if len(zr.File) != len(want) {
		t.Fatalf("%d entries, want %d", len(zr.File), len(want))
	}
	for i, f := range zr.File {
		if f.Name != want[i].name || f.Mode() != want[i].mode {
			t.Errorf("entry %d = %s %v, want %s %v", i, f.Name, f.Mode(), want[i].name, want[i].mode)
		}
		if !f.Modified.Equal(zipTime) {
			t.Errorf("%s: modified %v", f.Name, f.Modified)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		if string(body) != want[i].body {
			t.Errorf("%s: body %q, want %q", f.Name, body, want[i].body)
		}
	}
}

func TestZipErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub", filepath.Join(dir, "loop")); err != nil {
		t.Fatal(err)
	}
	if _, err := Zip(dir); !errors.Is(err, ErrUnsupportedFile) {
		t.Errorf("symlink to a directory: err = %v, want ErrUnsupportedFile", err)
	}
	if _, err := Zip(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing directory: no error")
	}
	file := filepath.Join(dir, "f")
	os.WriteFile(file, nil, 0o644)
	if _, err := Zip(file); err == nil {
		t.Error("a file: no error")
	}
}

func TestCheckDir(t *testing.T) {
	withExec, withPlain, without := t.TempDir(), t.TempDir(), t.TempDir()
	writeTree(t, withExec, []string{"bootstrap"}, map[string]string{"bootstrap": "x"}, map[string]bool{"bootstrap": true})
	writeTree(t, withPlain, []string{"bootstrap"}, map[string]string{"bootstrap": "x"}, nil)
	tests := []struct {
		name, dir, runtime string
		want               error
	}{
		{"python needs nothing", without, "python3.12", nil},
		{"provided with executable bootstrap", withExec, "provided.al2023", nil},
		{"provided with plain bootstrap", withPlain, "provided.al2023", ErrNoBootstrap},
		{"provided without bootstrap", without, "provided.al2", ErrNoBootstrap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckDir(tt.dir, tt.runtime); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
