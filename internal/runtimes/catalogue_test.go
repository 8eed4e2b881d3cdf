package runtimes

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeInterp writes an executable at dir/rel that prints version for
// --version, as python and node do.
func fakeInterp(t *testing.T, dir, rel, version string) string {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho '"+version+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCatalogueRuntimeDirAndNearest(t *testing.T) {
	dir := t.TempDir()
	fakeInterp(t, dir, "python3.10/bin/python3.10", "Python 3.10.14")
	fakeInterp(t, dir, "python3.12/bin/python3", "Python 3.12.7")
	fakeInterp(t, dir, "python3.13/bin/python3.13", "Python 3.11.0") // lies about its name: ignored
	fakeInterp(t, dir, "nodejs22.x/bin/node", "v22.3.0")
	empty := t.TempDir() // no host interpreters at all
	c, err := NewCatalogue(CatalogueOptions{RuntimeDir: dir, SearchPath: empty})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, version string
		exact         bool
	}{
		{"python3.10", "3.10.14", true},
		{"python3.12", "3.12.7", true},
		{"nodejs22.x", "22.3.0", true},
		// No interpreter of their own: the nearest from the runtime dir,
		// the newer of two equally far.
		{"python3.11", "3.12.7", false},
		{"python3.13", "3.12.7", false},
		{"python3.9", "3.10.14", false},
		{"nodejs20.x", "22.3.0", false},
	} {
		res, err := c.Resolve(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		if res.Exact != tt.exact || res.Interp == nil || res.Interp.Version != tt.version || res.Interp.Source != SourceRuntimeDir {
			t.Errorf("%s: %+v %+v, want %s from the runtime dir (exact %v)", tt.name, res, res.Interp, tt.version, tt.exact)
			continue
		}
		if !strings.HasPrefix(res.Interp.Path, res.Interp.Root+"/") {
			t.Errorf("%s: path %s not below its root %s", tt.name, res.Interp.Path, res.Interp.Root)
		}
		if (res.Warning() == "") != tt.exact {
			t.Errorf("%s: warning %q", tt.name, res.Warning())
		}
	}
	if _, err := c.Resolve("cobol1"); !errors.Is(err, ErrUnknownRuntime) {
		t.Errorf("unknown runtime: err = %v", err)
	}
}

func TestCatalogueHostNearestAndRefuse(t *testing.T) {
	bin := t.TempDir()
	fakeInterp(t, bin, "python3.10", "Python 3.10.1")
	fakeInterp(t, bin, "python3", "Python 3.12.3")
	fakeInterp(t, bin, "node", "v18.20.0")
	c, err := NewCatalogue(CatalogueOptions{SearchPath: bin})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, version string }{
		{"python3.9", "3.10.1"},
		{"python3.11", "3.12.3"}, // equally far from 3.10 and 3.12: the newer
		{"python3.13", "3.12.3"},
		{"nodejs22.x", "18.20.0"},
	} {
		res, _ := c.Resolve(tt.name)
		if res.Exact || res.Interp == nil || res.Interp.Version != tt.version {
			t.Errorf("%s: %+v, want nearest %s", tt.name, res.Interp, tt.version)
			continue
		}
		if w := res.Warning(); !strings.HasPrefix(w, "WARNING: runtime "+tt.name+" is not installed") || !strings.Contains(w, tt.version) {
			t.Errorf("%s: warning %q", tt.name, w)
		}
	}
	if res, _ := c.Resolve("python3.12"); !res.Exact || res.Interp.Path != filepath.Join(bin, "python3") || res.Interp.Root != filepath.Dir(bin) {
		t.Errorf("python3.12: %+v, want exact %s/python3", res.Interp, bin)
	}
	r, err := NewCatalogue(CatalogueOptions{SearchPath: bin, Fallback: FallbackRefuse})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := r.Resolve("python3.13")
	if res.Interp != nil || res.Nearest == nil || res.Nearest.Version != "3.12.3" {
		t.Errorf("refuse: %+v", res)
	}
	if msg := res.Unavailable(); !strings.Contains(msg, "python3.13") || !strings.Contains(msg, "hearth runtimes pull python3.13") {
		t.Errorf("refuse message %q", msg)
	}
	if _, err := NewCatalogue(CatalogueOptions{Fallback: "maybe"}); !errors.Is(err, ErrBadFallback) {
		t.Errorf("bad fallback: err = %v", err)
	}
}

func TestCatalogueVersionManagers(t *testing.T) {
	home := t.TempDir()
	// pyenv: shims on PATH, the versions next to them.
	fakeInterp(t, home, ".pyenv/shims/python3.12", "pyenv: python3.12: command not found")
	fakeInterp(t, home, ".pyenv/versions/3.12.4/bin/python3.12", "Python 3.12.4")
	fakeInterp(t, home, ".pyenv/versions/3.10.2/bin/python3.10", "Python 3.10.2")
	// nvm: one version's bin on PATH, the others beside it.
	fakeInterp(t, home, ".nvm/versions/node/v20.1.0/bin/node", "v20.1.0")
	fakeInterp(t, home, ".nvm/versions/node/v22.4.0/bin/node", "v22.4.0")
	path := filepath.Join(home, ".pyenv/shims") + ":" + filepath.Join(home, ".nvm/versions/node/v20.1.0/bin")
	c, err := NewCatalogue(CatalogueOptions{SearchPath: path})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"python3.12": ".pyenv/versions/3.12.4/bin/python3.12", "python3.10": ".pyenv/versions/3.10.2/bin/python3.10",
		"nodejs20.x": ".nvm/versions/node/v20.1.0/bin/node", "nodejs22.x": ".nvm/versions/node/v22.4.0/bin/node",
	} {
		res, _ := c.Resolve(name)
		if !res.Exact || res.Interp == nil || res.Interp.Path != filepath.Join(home, want) {
			t.Errorf("%s: %+v, want exact %s", name, res.Interp, want)
			continue
		}
		if res.Interp.Root != filepath.Dir(filepath.Dir(res.Interp.Path)) {
			t.Errorf("%s: root %s, want the version's prefix", name, res.Interp.Root)
		}
	}
}
