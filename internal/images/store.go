package images

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// MaxImageBytes is Lambda's limit on the uncompressed size of an image.
const MaxImageBytes = 10 << 30

// Config is what an image's configuration says about running it.
type Config struct {
	Entrypoint []string `json:"entrypoint,omitempty"`
	Cmd        []string `json:"cmd,omitempty"`
	WorkingDir string   `json:"workingDir,omitempty"`
	Env        []string `json:"env,omitempty"`
}

// Image is an unpacked image.
type Image struct {
	Digest string `json:"digest"` // manifest digest, "sha256:…"
	RootFS string `json:"rootfs"` // host directory of the unpacked root
	Config Config `json:"config"`
}

// Record is a runtime image: which image a runtime name runs on.
type Record struct {
	Runtime  string    `json:"runtime"`
	Source   string    `json:"source"` // reference or path it came from
	Imported time.Time `json:"imported"`
	Image
}

// Has reports whether the image holds an executable at p (a path inside
// the image; links resolved inside it).
func (im Image) Has(p string) bool {
	full, err := resolveIn(im.RootFS, p)
	if err != nil {
		return false
	}
	fi, err := os.Lstat(full)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// Store keeps unpacked images below a directory:
//
//	<dir>/rootfs/<hex digest>/   one unpacked image
//	<dir>/runtimes/<name>.json   the runtime image record of a runtime name
type Store struct {
	dir string
}

// Open returns the store in dir, creating it.
func Open(dir string) (*Store, error) {
	for _, d := range []string{"rootfs", "runtimes"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("image store: %w", err)
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return &Store{dir: abs}, nil
}

// Unpack unpacks img once, into a directory named by its digest, and
// returns it. An image for another architecture than the host's is
// ErrPlatform; one with an entry escaping the root is ErrEscape and
// leaves nothing behind.
func (s *Store) Unpack(img v1.Image) (Image, error) {
	digest, err := img.Digest()
	if err != nil {
		return Image{}, fmt.Errorf("image digest: %w", err)
	}
	cfg, err := checkPlatform(img)
	if err != nil {
		return Image{}, err
	}
	out := Image{Digest: digest.String(), RootFS: filepath.Join(s.dir, "rootfs", digest.Hex),
		Config: Config{Entrypoint: cfg.Config.Entrypoint, Cmd: cfg.Config.Cmd, WorkingDir: cfg.Config.WorkingDir, Env: cfg.Config.Env}}
	if _, err := os.Stat(out.RootFS); err == nil {
		return out, s.writeConfig(digest.Hex, out) // unpacked before
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.dir, "rootfs"), ".tmp-"+digest.Hex[:12]+"-")
	if err != nil {
		return Image{}, err
	}
	defer os.RemoveAll(tmp) // no-op once renamed
	if err := unpackLayers(img, tmp); err != nil {
		return Image{}, fmt.Errorf("unpack image %s: %w", digest, err)
	}
	if err := os.Rename(tmp, out.RootFS); err != nil && !errors.Is(err, os.ErrExist) {
		if _, serr := os.Stat(out.RootFS); serr != nil { // another import won the race otherwise
			return Image{}, err
		}
	}
	return out, s.writeConfig(digest.Hex, out)
}

func unpackLayers(img v1.Image, root string) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	a := &layerApplier{root: root, budget: MaxImageBytes}
	for i, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			return fmt.Errorf("layer %d: %w", i, err)
		}
		err = a.apply(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("layer %d: %w", i, err)
		}
	}
	if err := ensureMountPoints(root); err != nil {
		return err
	}
	return os.Chmod(root, 0o755)
}

var runtimeNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.]*$`)

// SetRuntime unpacks img and records it as the image of runtime.
func (s *Store) SetRuntime(runtime, source string, img v1.Image) (Record, error) {
	if !runtimeNameRE.MatchString(runtime) {
		return Record{}, fmt.Errorf("runtime name %q: %w", runtime, ErrNotFound)
	}
	im, err := s.Unpack(img)
	if err != nil {
		return Record{}, err
	}
	rec := Record{Runtime: runtime, Source: source, Imported: time.Now().UTC(), Image: im}
	b, _ := json.MarshalIndent(rec, "", "  ")
	p := filepath.Join(s.dir, "runtimes", runtime+".json")
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return Record{}, err
	}
	return rec, os.Rename(tmp, p)
}

// Runtime returns the image record of a runtime name, if one was imported.
func (s *Store) Runtime(runtime string) (Record, bool) {
	if !runtimeNameRE.MatchString(runtime) {
		return Record{}, false
	}
	b, err := os.ReadFile(filepath.Join(s.dir, "runtimes", runtime+".json"))
	if err != nil {
		return Record{}, false
	}
	var rec Record
	if json.Unmarshal(b, &rec) != nil {
		return Record{}, false
	}
	if _, err := os.Stat(rec.RootFS); err != nil {
		return Record{}, false
	}
	return rec, true
}

// writeConfig keeps an image's description next to its root, for Image.
func (s *Store) writeConfig(hex string, im Image) error {
	b, _ := json.Marshal(im)
	p := filepath.Join(s.dir, "rootfs", hex+".json")
	if old, err := os.ReadFile(p); err == nil && string(old) == string(b) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-config-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// Image returns an unpacked image by digest ("sha256:…"), or ErrNotFound.
func (s *Store) Image(digest string) (Image, error) {
	hex, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || !hexRE.MatchString(hex) {
		return Image{}, fmt.Errorf("image %s: %w", digest, ErrNotFound)
	}
	b, err := os.ReadFile(filepath.Join(s.dir, "rootfs", hex+".json"))
	if err != nil {
		return Image{}, fmt.Errorf("image %s: %w", digest, errors.Join(ErrNotFound, err))
	}
	var im Image
	if err := json.Unmarshal(b, &im); err != nil {
		return Image{}, fmt.Errorf("image %s: %w", digest, err)
	}
	if _, err := os.Stat(im.RootFS); err != nil {
		return Image{}, fmt.Errorf("image %s: %w", digest, errors.Join(ErrNotFound, err))
	}
	return im, nil
}

var hexRE = regexp.MustCompile(`^[0-9a-f]{64}$`)
