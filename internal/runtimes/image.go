package runtimes

// ImageSource is a runtime image as the catalogue sees it: an unpacked
// root filesystem and a way to ask which executables it holds.
type ImageSource struct {
	RootFS string
	Digest string                 // manifest digest, "sha256:…"
	Has    func(path string) bool // reports an executable at a path inside the image
}

// ImageBootstrap is where Lambda's base images keep their runtime client.
const ImageBootstrap = "/var/runtime/bootstrap"

// imageInterpreters are where images keep a family's interpreter, in
// order of preference: Lambda's base images under /var/lang, then the
// usual prefixes.
func imageInterpreters(rt Runtime) []string {
	var names []string
	if rt.Family == FamilyPython {
		names = []string{"python" + rt.Feature(), "python3"}
	} else {
		names = []string{"node"}
	}
	var out []string
	for _, dir := range []string{"/var/lang/bin/", "/usr/local/bin/", "/usr/bin/"} {
		for _, n := range names {
			out = append(out, dir+n)
		}
	}
	return out
}

// imageInterp says how an image runs rt: its own /var/runtime/bootstrap
// (a base image's runtime client), else its interpreter with Hearth's
// bootstrap, else, for provided.*, the function's own bootstrap. It
// returns nil for a python or node image with no interpreter.
func imageInterp(rt Runtime, im ImageSource) *Interp {
	in := &Interp{Version: shortDigest(im.Digest), Source: SourceImage, RootFS: im.RootFS}
	if im.Has(ImageBootstrap) {
		in.Path, in.OwnBootstrap = ImageBootstrap, true
		return in
	}
	if rt.Family == FamilyProvided {
		return in
	}
	for _, p := range imageInterpreters(rt) {
		if im.Has(p) {
			in.Path = p
			return in
		}
	}
	return nil
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}
