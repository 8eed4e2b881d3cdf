package runtimes

import "testing"

func TestCatalogueImages(t *testing.T) {
	images := map[string][]string{
		"python3.12":      {ImageBootstrap, "/var/lang/bin/python3.12"}, // a Lambda base image
		"python3.13":      {"/usr/bin/python3"},                         // an interpreter only
		"nodejs22.x":      {},                                           // no interpreter: not used
		"provided.al2023": {},                                           // the function brings its bootstrap
	}
	c, err := NewCatalogue(CatalogueOptions{SearchPath: t.TempDir(), Images: func(name string) (ImageSource, bool) {
		files, ok := images[name]
		if !ok {
			return ImageSource{}, false
		}
		has := func(p string) bool {
			for _, f := range files {
				if f == p {
					return true
				}
			}
			return false
		}
		return ImageSource{RootFS: "/images/" + name, Digest: "sha256:0123456789abcdef0123", Has: has}, true
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, path string
		own        bool
	}{
		{"python3.12", ImageBootstrap, true},
		{"python3.13", "/usr/bin/python3", false},
		{"provided.al2023", "", false},
	} {
		res, _ := c.Resolve(tt.name)
		in := res.Interp
		if !res.Exact || in == nil || in.Source != SourceImage || in.Path != tt.path || in.OwnBootstrap != tt.own || in.RootFS != "/images/"+tt.name {
			t.Errorf("%s: %+v", tt.name, in)
		}
	}
	if res, _ := c.Resolve("nodejs22.x"); res.Interp != nil && res.Interp.Source == SourceImage {
		t.Errorf("an image without node runs nodejs22.x: %+v", res.Interp)
	}
}
