package images

import (
	"errors"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestFromPath(t *testing.T) {
	img := image(t, runtime.GOARCH, layer(t, entry{name: "marker", body: "m"}))
	want, _ := img.Digest()
	dir := t.TempDir()
	tarPath := filepath.Join(dir, "saved.tar")
	tag, _ := name.NewTag("example.com/runtime:1")
	if err := tarball.WriteToFile(tarPath, tag, img); err != nil {
		t.Fatal(err)
	}
	lp, err := layout.Write(filepath.Join(dir, "layout"), empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{tarPath, filepath.Join(dir, "layout")} {
		got, err := FromPath(p)
		if err != nil {
			t.Fatalf("FromPath(%s): %v", p, err)
		}
		s, _ := Open(t.TempDir())
		im, err := s.Unpack(got)
		if err != nil {
			t.Fatal(err)
		}
		if d, _ := got.Digest(); p != tarPath && d != want {
			t.Errorf("%s: digest %s, want %s", p, d, want)
		}
		if im.Has("/marker") { // not executable
			t.Errorf("%s: marker reported executable", p)
		}
	}
	if _, err := FromPath(filepath.Join(dir, "missing")); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing path: %v", err)
	}
	if _, err := FromPath(t.TempDir()); !errors.Is(err, ErrNotFound) {
		t.Errorf("directory without index.json: %v", err)
	}
}
