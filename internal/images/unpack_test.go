package images

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// entry is one tar entry of a test layer.
type entry struct {
	name, body, link string
	typ              byte
	mode             int64
}

func layer(t *testing.T, entries ...entry) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
			if typ == tar.TypeDir {
				mode = 0o755
			}
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Mode: mode, Size: int64(len(e.body)), Linkname: e.link}
		if typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// image builds an image of layers for arch.
func image(t *testing.T, arch string, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = arch, "linux"
	cf.Config.Env = []string{"GREETING=hello"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestUnpackWhiteoutsLinks(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	img := image(t, runtime.GOARCH,
		layer(t,
			entry{name: "a/", typ: tar.TypeDir},
			entry{name: "a/keep", body: "kept"},
			entry{name: "a/gone", body: "deleted by a whiteout"},
			entry{name: "d/old", body: "hidden by an opaque whiteout"},
			entry{name: "usr/lib/", typ: tar.TypeDir},
			entry{name: "lib", typ: tar.TypeSymlink, link: "usr/lib"},
			entry{name: "a/hl", typ: tar.TypeLink, link: "a/keep"},
			entry{name: "bin/tool", body: "#!/bin/sh\n", mode: 0o755},
		),
		layer(t,
			entry{name: "a/.wh.gone"},
			entry{name: "d/.wh..wh..opq"},
			entry{name: "d/new", body: "upper"},
			entry{name: "lib/x", body: "through the link"},
		),
	)
	im, err := s.Unpack(img)
	if err != nil {
		t.Fatal(err)
	}
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(im.RootFS, p))
		if err != nil {
			return "<" + err.Error() + ">"
		}
		return string(b)
	}
	for p, want := range map[string]string{"a/keep": "kept", "a/hl": "kept", "d/new": "upper", "usr/lib/x": "through the link"} {
		if got := read(p); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	for _, p := range []string{"a/gone", "d/old", "a/.wh.gone", "d/.wh..wh..opq"} {
		if _, err := os.Lstat(filepath.Join(im.RootFS, p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after its whiteout (%v)", p, err)
		}
	}
	var k, h syscall.Stat_t
	syscall.Stat(filepath.Join(im.RootFS, "a/keep"), &k)
	syscall.Stat(filepath.Join(im.RootFS, "a/hl"), &h)
	if k.Ino != h.Ino {
		t.Errorf("a/hl is not a hard link of a/keep")
	}
	if l, err := os.Readlink(filepath.Join(im.RootFS, "lib")); err != nil || l != "usr/lib" {
		t.Errorf("lib -> %q (%v), want usr/lib", l, err)
	}
	if !im.Has("/bin/tool") || im.Has("/a/keep") || im.Has("/missing") {
		t.Errorf("Has: executable detection wrong")
	}
	for _, m := range mountPoints {
		if fi, err := os.Lstat(filepath.Join(im.RootFS, m)); err != nil || !fi.IsDir() {
			t.Errorf("mount point %s missing (%v)", m, err)
		}
	}
	if len(im.Config.Env) != 1 || im.Config.Env[0] != "GREETING=hello" {
		t.Errorf("config env %v", im.Config.Env)
	}
	again, err := s.Unpack(img)
	if err != nil || again.RootFS != im.RootFS {
		t.Errorf("second unpack: %v %v", again, err)
	}
}

func TestUnpackRefusesEscapes(t *testing.T) {
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	for name, l := range map[string][]entry{
		"dotdot":          {{name: "../../../../../../" + victim, body: "x"}},
		"hard link":       {{name: "passwd", typ: tar.TypeLink, link: "../../../../../etc/passwd"}},
		"dotdot in dir":   {{name: "a/../../x", body: "x"}},
		"whiteout dotdot": {{name: "../.wh.victim"}},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s, _ := Open(dir)
			_, err := s.Unpack(image(t, runtime.GOARCH, layer(t, l...)))
			if !errors.Is(err, ErrEscape) {
				t.Fatalf("err = %v, want ErrEscape", err)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "rootfs", "*")); len(left) != 0 {
				t.Errorf("refused image left %v", left)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "rootfs", ".tmp*")); len(left) != 0 {
				t.Errorf("refused image left %v", left)
			}
		})
	}
	// Links are followed inside the root, as in a chroot: writes through
	// them land inside.
	s, _ := Open(t.TempDir())
	im, err := s.Unpack(image(t, runtime.GOARCH,
		layer(t, entry{name: "abs", typ: tar.TypeSymlink, link: outside}, entry{name: "rel", typ: tar.TypeSymlink, link: "../../../../../../" + outside}),
		layer(t, entry{name: "abs/victim", body: "abs"}, entry{name: "rel/victim2", body: "rel"})))
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("a write through a link left the root: %v", entries)
	}
	if b, err := os.ReadFile(filepath.Join(im.RootFS, outside, "victim")); err != nil || string(b) != "abs" {
		t.Errorf("write through an absolute link: %q %v", b, err)
	}
}

func TestUnpackRefusesOtherArchitecture(t *testing.T) {
	other := "arm64"
	if runtime.GOARCH == "arm64" {
		other = "amd64"
	}
	s, _ := Open(t.TempDir())
	if _, err := s.Unpack(image(t, other, layer(t, entry{name: "f", body: "x"}))); !errors.Is(err, ErrPlatform) {
		t.Errorf("err = %v, want ErrPlatform", err)
	}
}
