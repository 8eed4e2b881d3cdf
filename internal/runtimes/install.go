package runtimes

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Paths of the bootstraps below Install's directory (and below runtimeRoot).
const (
	pythonBootstrap = "python/bootstrap.py"
	nodeBootstrap   = "node/bootstrap.js"
)

//go:embed bootstrap
var bootstraps embed.FS

// Install writes the embedded bootstrap files below dir, world-readable. It is
// idempotent and safe when several Hearth processes race on the same dir:
// each file is written to a temporary name and renamed into place, and a file
// that already holds the right bytes is left alone.
func Install(dir string) error {
	return fs.WalkDir(bootstraps, "bootstrap", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel("bootstrap", name)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, rel)
		if d.IsDir() {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return fmt.Errorf("install runtimes in %s: %w", dir, err)
			}
			// MkdirAll honours the umask; the sandbox's unprivileged uid must traverse it.
			if err := os.Chmod(dst, 0o755); err != nil {
				return fmt.Errorf("install runtimes in %s: %w", dir, err)
			}
			return nil
		}
		data, err := bootstraps.ReadFile(name)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(dst, data); err != nil {
			return fmt.Errorf("install runtimes in %s: %w", dir, err)
		}
		return nil
	})
}

// writeFileAtomic replaces path with data (mode 0644) unless it already holds data.
func writeFileAtomic(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() == 0o644 {
			return nil
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
