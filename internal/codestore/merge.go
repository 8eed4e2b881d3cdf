package codestore

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// UnzippedSize returns the decompressed size of the stored code with
// digest sha: the sum of its entries' sizes, which Put checked against the
// real bytes when it stored the code. Only the zip's directory is read.
func (s *Store) UnzippedSize(sha string) (int64, error) {
	p, err := s.ZipPath(sha)
	if err != nil {
		return 0, err
	}
	r, err := zip.OpenReader(p)
	if err != nil {
		return 0, fmt.Errorf("codestore: read %s: %w", sha, err)
	}
	defer r.Close()
	var n uint64
	for _, f := range r.File {
		n = min(n+min(f.UncompressedSize64, 1<<62), 1<<62)
	}
	return int64(n), nil
}

// mergedDir is where merged trees live: <Dir>/opt/<key>/.
func (s *Store) mergedDir() string { return filepath.Join(s.opts.Dir, "opt") }

// resetMerged empties the merged trees left by a previous run: they are a
// cache, rebuilt on first use.
func (s *Store) resetMerged() error {
	if err := removeAll(s.mergedDir()); err != nil {
		return fmt.Errorf("codestore: open: remove merged trees: %w", err)
	}
	if err := os.MkdirAll(s.mergedDir(), 0o755); err != nil {
		return fmt.Errorf("codestore: open: %w", err)
	}
	return nil
}

// Merged returns a read-only directory holding the trees of the stored
// code packages shas laid over each other in order, a later package's
// entry replacing an earlier one's at the same path — what unpacking
// Lambda layers into /opt one after the other gives. With no shas it is an
// empty directory. The tree is built once per combination (files are hard
// links to the packages' own read-only files, so it costs no copies) and
// lives until the Store is next opened; it stays valid when a package is
// deleted meanwhile.
func (s *Store) Merged(shas []string) (string, error) {
	h := sha256.Sum256([]byte(strings.Join(shas, ",")))
	dst := filepath.Join(s.mergedDir(), hex.EncodeToString(h[:16]))
	if fi, err := os.Stat(dst); err == nil && fi.IsDir() {
		return dst, nil
	}
	work, err := os.MkdirTemp(s.tmp, "merge-")
	if err != nil {
		return "", fmt.Errorf("codestore: merge: %w", err)
	}
	defer removeAll(work)
	tree := filepath.Join(work, "tree")
	if err := os.Mkdir(tree, 0o755); err != nil {
		return "", fmt.Errorf("codestore: merge: %w", err)
	}
	for _, sha := range shas {
		src, err := s.Tree(sha)
		if err != nil {
			return "", err
		}
		if err := overlay(src, tree); err != nil {
			return "", fmt.Errorf("codestore: merge %s: %w", sha, err)
		}
	}
	if err := sealTree(tree); err != nil {
		return "", fmt.Errorf("codestore: merge: %w", err)
	}
	// Renaming a directory to another parent needs write permission on it.
	if err := os.Chmod(tree, 0o755); err != nil {
		return "", fmt.Errorf("codestore: merge: %w", err)
	}
	if err := os.Rename(tree, dst); err != nil {
		if fi, serr := os.Stat(dst); serr != nil || !fi.IsDir() {
			return "", fmt.Errorf("codestore: merge: publish: %w", err)
		}
		return dst, nil // a concurrent Merged of the same combination won
	}
	return dst, os.Chmod(dst, 0o555)
}

// overlay lays the tree src over dst: directories are merged, every other
// entry of src replaces what dst has at its path. Nothing is written
// through a symlink: a symlink in dst where src has a directory is
// replaced by a directory.
func overlay(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		target := filepath.Join(dst, rel)
		existing, lerr := os.Lstat(target)
		if d.IsDir() {
			if lerr == nil && existing.IsDir() {
				return nil
			}
			if lerr == nil {
				if err := os.Remove(target); err != nil {
					return err
				}
			}
			return os.Mkdir(target, 0o755)
		}
		if lerr == nil {
			if err := removeAll(target); err != nil {
				return err
			}
		}
		if d.Type()&fs.ModeSymlink != 0 {
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		}
		if err := os.Link(p, target); err == nil {
			return nil
		}
		return copyFile(p, target)
	})
}

// copyFile copies a regular file with its mode, for when hard links
// cannot be made.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(dst, fi.Mode().Perm())
	}
	return err
}

// sealTree makes every directory under root, root included, read-only
// (0555), deepest first.
func sealTree(root string) error {
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chmod(dirs[i], 0o555); err != nil {
			return err
		}
	}
	return nil
}

// DeclaredSize returns the decompressed size an archive's directory
// declares, without decompressing anything. Put rejects an archive whose
// real sizes differ, so for stored code this is the real size.
func DeclaredSize(data []byte) (int64, error) {
	r, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrNotZip, err)
	}
	var n uint64
	for _, f := range r.File {
		n = min(n+min(f.UncompressedSize64, 1<<62), 1<<62)
	}
	return int64(n), nil
}
