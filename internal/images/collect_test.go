package images

import (
	"os"
	"runtime"
	"testing"
)

func TestCollect(t *testing.T) {
	s, _ := Open(t.TempDir())
	unpack := func(body string) Image {
		im, err := s.Unpack(image(t, runtime.GOARCH, layer(t, entry{name: "f", body: body})))
		if err != nil {
			t.Fatal(err)
		}
		return im
	}
	rt, fn, unused := unpack("runtime"), unpack("function"), unpack("unused")
	if _, err := s.SetRuntime("python3.12", "test", image(t, runtime.GOARCH, layer(t, entry{name: "f", body: "runtime"}))); err != nil {
		t.Fatal(err)
	}
	removed, err := s.Collect(func(d string) bool { return d == fn.Digest })
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != unused.Digest {
		t.Errorf("removed %v, want only %s", removed, unused.Digest)
	}
	for _, im := range []Image{rt, fn} {
		if _, err := s.Image(im.Digest); err != nil {
			t.Errorf("kept image %s: %v", im.Digest, err)
		}
	}
	if _, err := os.Stat(unused.RootFS); !os.IsNotExist(err) {
		t.Errorf("unused root still there (%v)", err)
	}
	if _, err := s.Image(unused.Digest); err == nil {
		t.Errorf("unused image still listed")
	}
}
