package images

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// hostPlatform is the platform images are chosen for and checked against.
var hostPlatform = v1.Platform{OS: "linux", Architecture: runtime.GOARCH}

// FromPath opens an image stored at path: an OCI image layout directory
// (with index.json; the image for the host's platform, or the only one)
// or a `docker save` tarball.
func FromPath(path string) (v1.Image, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", path, errors.Join(ErrNotFound, err))
	}
	if !fi.IsDir() {
		img, err := tarball.ImageFromPath(path, nil)
		if err != nil {
			return nil, fmt.Errorf("image tarball %s: %w", path, err)
		}
		return img, nil
	}
	if _, err := os.Stat(filepath.Join(path, "index.json")); err != nil {
		return nil, fmt.Errorf("image layout %s: no index.json: %w", path, ErrNotFound)
	}
	idx, err := layout.ImageIndexFromPath(path)
	if err != nil {
		return nil, fmt.Errorf("image layout %s: %w", path, err)
	}
	return fromIndex(idx, 0)
}

// fromIndex picks the image for the host's platform from an index,
// descending into nested indexes.
func fromIndex(idx v1.ImageIndex, depth int) (v1.Image, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var pick *v1.Descriptor
	for i := range m.Manifests {
		d := &m.Manifests[i]
		if d.Platform == nil || d.Platform.Satisfies(hostPlatform) {
			pick = d
			break
		}
	}
	if pick == nil {
		if len(m.Manifests) == 0 {
			return nil, fmt.Errorf("empty image index: %w", ErrNotFound)
		}
		return nil, fmt.Errorf("no image for %s/%s in the index: %w", hostPlatform.OS, hostPlatform.Architecture, ErrPlatform)
	}
	if pick.MediaType.IsIndex() {
		if depth > 3 {
			return nil, fmt.Errorf("image indexes nested too deep: %w", ErrNotFound)
		}
		child, err := idx.ImageIndex(pick.Digest)
		if err != nil {
			return nil, err
		}
		return fromIndex(child, depth+1)
	}
	return idx.Image(pick.Digest)
}

// PullOptions configure Pull.
type PullOptions struct {
	// Insecure allows plain HTTP and unverified TLS for every registry.
	// Registries on loopback may always use plain HTTP.
	Insecure bool
}

// Pull fetches the image ref names for the host's platform. A missing
// image or repository is ErrNotFound.
func Pull(ctx context.Context, ref string, opts PullOptions) (v1.Image, error) {
	var nameOpts []name.Option
	if opts.Insecure || onLoopback(ref) {
		nameOpts = append(nameOpts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nameOpts...)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", ref, err)
	}
	img, err := remote.Image(r, remote.WithContext(ctx), remote.WithPlatform(hostPlatform))
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == 404 || hasCode(te, transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode)) {
		return nil, fmt.Errorf("image %s: %w", ref, errors.Join(ErrNotFound, err))
	}
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	return img, nil
}

func hasCode(te *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range te.Errors {
		for _, c := range codes {
			if d.Code == c {
				return true
			}
		}
	}
	return false
}

// onLoopback reports whether a reference's registry is on loopback.
func onLoopback(ref string) bool {
	host, _, _ := strings.Cut(ref, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkPlatform refuses an image built for another architecture than the
// host's; an image that does not say is accepted.
func checkPlatform(img v1.Image) (*v1.ConfigFile, error) {
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	if cfg.Architecture != "" && cfg.Architecture != hostPlatform.Architecture {
		return nil, fmt.Errorf("image is for %s, this host runs %s: %w", cfg.Architecture, hostPlatform.Architecture, ErrPlatform)
	}
	return cfg, nil
}
