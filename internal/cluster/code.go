package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hearth-run/hearth/internal/codestore"
)

// Code keeps code packages in a JetStream Object Store bucket, named by
// their SHA-256, with each node's local code store as a cache: a package
// is uploaded when it is stored and downloaded (and unpacked) the first
// time a node needs it. It serves the API and the invoker as the local
// store does.
//
// Delete and GC remove only the node's cached copy: a node cannot tell
// that no other node is about to refer to the same digest again. The
// bucket itself is swept by Collect, on one node at a time, for packages
// nothing has referred to for a day.
type Code struct {
	*codestore.Store
	obj     jetstream.ObjectStore
	timeout time.Duration
	// settle is how long Collect waits after deleting a package before it
	// checks once more that nothing refers to it.
	settle time.Duration
	mu     sync.Mutex // one download at a time
}

// OpenCode creates (or joins) the bucket named bucket over the local cache.
func OpenCode(ctx context.Context, js jetstream.JetStream, bucket string, replicas int, cache *codestore.Store) (*Code, error) {
	obj, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: bucket, Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("object store %s: %w", bucket, err)
	}
	return &Code{Store: cache, obj: obj, timeout: 5 * time.Minute, settle: 5 * time.Second}, nil
}

// Put stores zip in the local cache and uploads it, unless the bucket has
// it already.
func (c *Code) Put(zip []byte) (codestore.Info, error) {
	info, err := c.Store.Put(zip)
	if err != nil {
		return info, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	// A bucket whose stream leader was on a node that died answers again
	// once JetStream elected a new one: each step is retried until then.
	var have bool
	err = retry(ctx, func(ctx context.Context) error {
		oi, err := c.obj.GetInfo(ctx, info.SHA256)
		// A package uploaded long ago is uploaded again, which renews its
		// time: the collector leaves recent packages alone.
		have = err == nil && time.Since(oi.ModTime) < codeGrace/2
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return codestore.Info{}, fmt.Errorf("code %s: %w", info.SHA256, err)
	}
	if have {
		return info, nil
	}
	err = retryEach(ctx, 15*time.Second, func(ctx context.Context) error {
		_, err := c.obj.PutBytes(ctx, info.SHA256, zip)
		return err
	})
	if err != nil {
		return codestore.Info{}, fmt.Errorf("upload code %s: %w", info.SHA256, err)
	}
	return info, nil
}

// fetch makes sure the local cache has the package sha.
func (c *Code) fetch(sha string) error {
	if c.Store.Has(sha) {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Store.Has(sha) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	var zip []byte
	missing := false
	err := retryEach(ctx, 15*time.Second, func(ctx context.Context) (err error) {
		zip, err = c.obj.GetBytes(ctx, sha)
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			missing, err = true, nil
		}
		return err
	})
	if missing {
		return fmt.Errorf("%w: %q", codestore.ErrNotFound, sha)
	}
	if err != nil {
		return fmt.Errorf("download code %s: %w", sha, err)
	}
	info, err := c.Store.Put(zip)
	if err != nil {
		return fmt.Errorf("cache code %s: %w", sha, err)
	}
	if info.SHA256 != sha {
		c.Store.Delete(info.SHA256)
		return fmt.Errorf("code %s: the bucket holds a package with digest %s", sha, info.SHA256)
	}
	return nil
}

// ZipPath returns the path of the cached zip, downloading it if needed.
func (c *Code) ZipPath(sha string) (string, error) {
	if err := c.fetch(sha); err != nil {
		return "", err
	}
	return c.Store.ZipPath(sha)
}

// Tree returns the unpacked tree, downloading the package if needed.
func (c *Code) Tree(sha string) (string, error) {
	if err := c.fetch(sha); err != nil {
		return "", err
	}
	return c.Store.Tree(sha)
}

// UnzippedSize returns the package's unpacked size, downloading it if
// needed.
func (c *Code) UnzippedSize(sha string) (int64, error) {
	if err := c.fetch(sha); err != nil {
		return 0, err
	}
	return c.Store.UnzippedSize(sha)
}

// Merged returns the merged tree of several packages, downloading them if
// needed.
func (c *Code) Merged(shas []string) (string, error) {
	for _, sha := range shas {
		if err := c.fetch(sha); err != nil {
			return "", err
		}
	}
	return c.Store.Merged(shas)
}
