package server

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/images"
	"github.com/hearth-run/hearth/internal/runtimes"
)

// CatalogueOptions say where the runtime catalogue looks.
type CatalogueOptions struct {
	DataDir    string // runtime images live in DataDir/images
	RuntimeDir string // --runtime-dir
	Fallback   string // --runtime-fallback
	SearchPath string // PATH for host interpreters; "" = $PATH
	Logger     *slog.Logger
}

// ImageDir is the directory of the image store in a data dir.
func ImageDir(dataDir string) string { return filepath.Join(dataDir, "images") }

// Catalogue builds the runtime catalogue of a data dir: its imported
// runtime images, the runtime dir and the host's interpreters.
func Catalogue(opts CatalogueOptions) (*runtimes.Catalogue, error) {
	store, err := images.Open(ImageDir(opts.DataDir))
	if err != nil {
		return nil, err
	}
	return runtimes.NewCatalogue(runtimes.CatalogueOptions{
		RuntimeDir: opts.RuntimeDir, Fallback: opts.Fallback, SearchPath: opts.SearchPath, Logger: opts.Logger,
		Images: func(name string) (runtimes.ImageSource, bool) {
			rec, ok := store.Runtime(name)
			if !ok {
				return runtimes.ImageSource{}, false
			}
			return runtimes.ImageSource{RootFS: rec.RootFS, Digest: rec.Digest, Has: rec.Has}, true
		},
	})
}

// imageFetcher pulls the images of PackageType Image functions into the
// image store.
type imageFetcher struct {
	store    *images.Store
	insecure bool
}

// Fetch pulls uri and unpacks it, once per digest.
func (f imageFetcher) Fetch(ctx context.Context, uri string) (images.Image, error) {
	img, err := images.Pull(ctx, uri, images.PullOptions{Insecure: f.insecure})
	if err != nil {
		return images.Image{}, err
	}
	return f.store.Unpack(img)
}

// functionLister lists functions and their versions.
type functionLister interface {
	ListFunctions(marker string, max int) ([]*function.Function, string, error)
	Versions(name string) ([]*function.Config, error)
}

// collectImages removes the unpacked images no function version and no
// runtime uses any more. It runs at start, before any environment exists.
func collectImages(st functionLister, imgs *images.Store, log *slog.Logger) error {
	used := map[string]bool{}
	marker := ""
	for {
		fns, next, err := st.ListFunctions(marker, 1000)
		if err != nil {
			return err
		}
		for _, fn := range fns {
			used[fn.Latest.ImageDigest] = true
			versions, err := st.Versions(fn.Latest.Name)
			if err != nil {
				return err
			}
			for _, v := range versions {
				used[v.ImageDigest] = true
			}
		}
		if marker = next; marker == "" {
			break
		}
	}
	removed, err := imgs.Collect(func(d string) bool { return used[d] })
	if len(removed) > 0 {
		log.Info("removed unused images", "digests", removed)
	}
	return err
}
