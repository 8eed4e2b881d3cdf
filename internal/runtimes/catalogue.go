package runtimes

import (
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Fallback policies for a runtime with no interpreter of its exact version.
const (
	// FallbackNearest runs the nearest installed version of the family and
	// writes a WARNING line into the function's log at each cold start.
	FallbackNearest = "nearest"
	// FallbackRefuse fails the invocation with Runtime.Unavailable.
	FallbackRefuse = "refuse"
)

// Sources of an interpreter.
const (
	SourceRuntimeDir = "runtime-dir" // --runtime-dir DIR/<runtime>/
	SourceImage      = "image"       // an imported or pulled runtime image
	SourceHost       = "host"        // the host's PATH
)

// Interp is one interpreter Hearth found.
type Interp struct {
	Version string // full version it reports, e.g. "3.11.2" or "20.20.2"
	Path    string // absolute path of the executable (inside RootFS for images)
	Source  string // SourceRuntimeDir, SourceImage or SourceHost
	// Root is a host directory the environment must see at the same path
	// (an interpreter installed outside the system directories); "" when
	// the system directories already hold it.
	Root string
	// RootFS is the unpacked root filesystem of a runtime image; "" for
	// the others.
	RootFS string
	// OwnBootstrap reports that Path is the image's own runtime client
	// (/var/runtime/bootstrap), which needs none of Hearth's bootstraps.
	OwnBootstrap bool
}

// Feature is the version a runtime name asks for: "3.12" for python3.12,
// "20" for nodejs20.x; "" for provided.*.
func (r Runtime) Feature() string {
	switch r.Family {
	case FamilyPython:
		return strings.TrimPrefix(r.Name, "python")
	case FamilyNode:
		return strings.TrimSuffix(strings.TrimPrefix(r.Name, "nodejs"), ".x")
	}
	return ""
}

// feature cuts a full version to what runtime names specify: major.minor
// for Python, the major for Node.
func feature(family, version string) string {
	parts := strings.Split(version, ".")
	if family == FamilyPython && len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return parts[0]
}

// Resolution is what a runtime name resolves to.
type Resolution struct {
	Runtime Runtime
	// Interp is the interpreter that runs the runtime's functions; nil
	// when none is installed, or when the fallback policy refuses the
	// nearest one. provided.* with no image has none and needs none.
	Interp *Interp
	// Exact reports that Interp has exactly the version the name asks for.
	Exact bool
	// Nearest is the nearest installed version when there is no exact one,
	// also when the policy refused it.
	Nearest *Interp
}

// Warning is the log line a cold start of a fallback writes, "" when the
// runtime runs its exact version.
func (r Resolution) Warning() string {
	if r.Exact || r.Interp == nil || r.Runtime.Family == FamilyProvided {
		return ""
	}
	return fmt.Sprintf("WARNING: runtime %s is not installed on this Hearth host; running %s %s (%s) instead. %s",
		r.Runtime.Name, familyTitle(r.Runtime.Family), r.Interp.Version, r.Interp.Path, r.Hint())
}

// Hint says how to install the runtime's exact version.
func (r Resolution) Hint() string {
	return fmt.Sprintf("Install %s %s on the host's PATH (as %s), put it under --runtime-dir DIR/%s/bin/, "+
		"or import a runtime image with `hearth runtimes pull %s`.",
		familyTitle(r.Runtime.Family), r.Runtime.Feature(), hostName(r.Runtime), r.Runtime.Name, r.Runtime.Name)
}

// Unavailable is the message of an invocation refused for lack of the
// exact version.
func (r Resolution) Unavailable() string {
	return fmt.Sprintf("Runtime %s is not available on this Hearth host. %s", r.Runtime.Name, r.Hint())
}

func familyTitle(family string) string {
	if family == FamilyPython {
		return "Python"
	}
	return "Node.js"
}

// hostName is the program name that provides a runtime on PATH.
func hostName(r Runtime) string {
	if r.Family == FamilyPython {
		return "python" + r.Feature()
	}
	return "node (v" + r.Feature() + ")"
}

// CatalogueOptions configure a Catalogue.
type CatalogueOptions struct {
	// RuntimeDir holds interpreters by runtime name, e.g.
	// DIR/python3.12/bin/python3.12 or DIR/nodejs22.x/bin/node.
	RuntimeDir string
	// Fallback is FallbackNearest (default) or FallbackRefuse.
	Fallback string
	// Images returns the runtime image imported for a runtime name, if
	// any; it is asked at every Resolve, so an import takes effect for
	// every environment spec built afterwards. Nil: no images.
	Images func(runtime string) (ImageSource, bool)
	// SearchPath is the PATH searched for host interpreters. Default: $PATH.
	SearchPath string
	Logger     *slog.Logger
}

// Catalogue resolves runtime names to interpreters. Hosts are probed once,
// by New; a Catalogue is read-only afterwards and safe for concurrent use.
type Catalogue struct {
	fallback string
	images   func(string) (ImageSource, bool)
	// installs holds every interpreter found, by family, best first
	// within a version.
	installs map[string][]*Interp
	// dirs holds the runtime-dir interpreters by runtime name.
	dirs map[string]*Interp
}

// NewCatalogue probes the runtime dir and the host's PATH, running each
// candidate interpreter with --version once.
func NewCatalogue(opts CatalogueOptions) (*Catalogue, error) {
	if opts.Fallback == "" {
		opts.Fallback = FallbackNearest
	}
	if opts.Fallback != FallbackNearest && opts.Fallback != FallbackRefuse {
		return nil, fmt.Errorf("%w: %q (want nearest or refuse)", ErrBadFallback, opts.Fallback)
	}
	if opts.SearchPath == "" {
		opts.SearchPath = os.Getenv("PATH")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	c := &Catalogue{fallback: opts.Fallback, images: opts.Images, installs: map[string][]*Interp{}, dirs: map[string]*Interp{}}
	p := prober{log: opts.Logger, seen: map[string]bool{}}
	for _, name := range Names() {
		rt := known[name]
		if rt.Family == FamilyProvided || opts.RuntimeDir == "" {
			continue
		}
		if in := p.runtimeDir(opts.RuntimeDir, rt); in != nil {
			c.dirs[name] = in
			c.installs[rt.Family] = append(c.installs[rt.Family], in)
		}
	}
	for _, family := range []string{FamilyPython, FamilyNode} {
		c.installs[family] = append(c.installs[family], p.host(family, opts.SearchPath)...)
	}
	return c, nil
}

// Resolve returns what a runtime name resolves to under the fallback
// policy. An unknown name is ErrUnknownRuntime.
func (c *Catalogue) Resolve(name string) (Resolution, error) {
	rt, ok := Lookup(name)
	if !ok {
		return Resolution{}, fmt.Errorf("%w: %q", ErrUnknownRuntime, name)
	}
	res := Resolution{Runtime: rt}
	if c.images != nil {
		if im, ok := c.images(name); ok {
			if in := imageInterp(rt, im); in != nil {
				res.Interp, res.Exact = in, true
				return res, nil
			}
		}
	}
	if rt.Family == FamilyProvided {
		res.Exact = true
		return res, nil
	}
	if in := c.dirs[name]; in != nil {
		res.Interp, res.Exact = in, true
		return res, nil
	}
	want := rt.Feature()
	for _, in := range c.installs[rt.Family] {
		if feature(rt.Family, in.Version) == want {
			res.Interp, res.Exact = in, true
			return res, nil
		}
	}
	res.Nearest = c.nearest(rt)
	if c.fallback == FallbackNearest {
		res.Interp = res.Nearest
	}
	return res, nil
}

// nearest picks the installed interpreter of rt's family whose version is
// closest to the one rt names; between two equally close, the newer.
func (c *Catalogue) nearest(rt Runtime) *Interp {
	want := versionNumber(rt.Family, rt.Feature())
	var best *Interp
	bestDist := -1
	for _, in := range c.installs[rt.Family] {
		v := versionNumber(rt.Family, feature(rt.Family, in.Version))
		d := v - want
		if d < 0 {
			d = -d*2 + 1 // older loses a tie against newer
		} else {
			d *= 2
		}
		if best == nil || d < bestDist {
			best, bestDist = in, d
		}
	}
	return best
}

// versionNumber orders features: 3.12 -> 312, 20 -> 20.
func versionNumber(family, f string) int {
	parts := strings.Split(f, ".")
	n := 0
	for _, p := range parts {
		v, _ := strconv.Atoi(p)
		n = n*100 + v
	}
	return n
}

// All resolves every runtime, sorted by name.
func (c *Catalogue) All() []Resolution {
	names := Names()
	sort.Slice(names, func(i, j int) bool { return lessName(names[i], names[j]) })
	out := make([]Resolution, 0, len(names))
	for _, n := range names {
		res, _ := c.Resolve(n)
		out = append(out, res)
	}
	return out
}

// lessName sorts runtime names by family, then numerically by version.
func lessName(a, b string) bool {
	ra, rb := known[a], known[b]
	if ra.Family != rb.Family {
		return ra.Family < rb.Family
	}
	if ra.Family == FamilyProvided {
		return a < b
	}
	return versionNumber(ra.Family, ra.Feature()) < versionNumber(rb.Family, rb.Feature())
}
