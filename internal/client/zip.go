package client

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// zipTime is the time stamp of every entry: the earliest a zip can hold.
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Zip packs the tree under dir into a zip, deterministically (see the
// package comment). Symbolic links to files are stored as the files they
// point to.
func Zip(dir string) ([]byte, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("zip %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("zip %s: not a directory", dir)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	// WalkDir visits entries in lexical order, which makes the order fixed.
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		return addEntry(zw, path, filepath.ToSlash(rel), d)
	})
	if err != nil {
		return nil, fmt.Errorf("zip %s: %w", dir, err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zip %s: %w", dir, err)
	}
	return buf.Bytes(), nil
}

func addEntry(zw *zip.Writer, path, name string, d fs.DirEntry) error {
	fi, err := os.Stat(path) // follows symbolic links
	if err != nil {
		return err
	}
	switch {
	case fi.IsDir() && d.Type()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s: symbolic link to a directory: %w", path, ErrUnsupportedFile)
	case fi.IsDir():
		hdr := &zip.FileHeader{Name: name + "/", Method: zip.Store, Modified: zipTime}
		hdr.SetMode(fs.ModeDir | 0o755)
		_, err := zw.CreateHeader(hdr)
		return err
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s: %w", path, ErrUnsupportedFile)
	}
	mode := fs.FileMode(0o644)
	if fi.Mode()&0o111 != 0 {
		mode = 0o755
	}
	hdr := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipTime}
	hdr.SetMode(mode)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// CheckDir checks that dir can run on runtime: a provided.* runtime needs
// an executable bootstrap at the top of the directory.
func CheckDir(dir, runtime string) error {
	if !strings.HasPrefix(runtime, "provided") {
		return nil
	}
	fi, err := os.Stat(filepath.Join(dir, "bootstrap"))
	if err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%w: runtime %s needs an executable bootstrap at the top of %s", ErrNoBootstrap, runtime, dir)
	}
	return nil
}
