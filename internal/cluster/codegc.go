package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// CodeRefs tells whether any function, version or layer refers to a code
// package.
type CodeRefs interface {
	CodeInUse(sha string) (bool, error)
}

// codeGrace is how long a package stays in the bucket after its last
// upload even when nothing refers to it: an upload and the function that
// refers to it are stored one after the other, and Put refreshes a
// package older than half of it, so a package being deployed again is
// never that old.
const codeGrace = 24 * time.Hour

// Collect deletes from the bucket the packages that nothing refers to and
// that were last uploaded more than grace ago, and returns how many it
// deleted. One node runs it at a time (the holder of the code-gc lease).
//
// A package is read before it is deleted and checked for references again
// a few seconds afterwards: if a function came to refer to it meanwhile
// (the same zip deployed again in that moment), it is uploaded again.
func (c *Code) Collect(ctx context.Context, refs CodeRefs, grace time.Duration) (int, error) {
	infos, err := c.obj.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("list code bucket: %w", err)
	}
	deleted := 0
	var errs []error
	for _, info := range infos {
		if info.Deleted || time.Since(info.ModTime) < grace {
			continue
		}
		if used, err := refs.CodeInUse(info.Name); used || err != nil {
			continue
		}
		ok, err := c.collectOne(ctx, refs, info.Name, grace)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			deleted++
		}
	}
	return deleted, errors.Join(errs...)
}

// collectOne deletes one unreferenced package, restoring it when a
// reference appeared meanwhile. It reports whether the package is gone.
func (c *Code) collectOne(ctx context.Context, refs CodeRefs, sha string, grace time.Duration) (bool, error) {
	zip, err := c.obj.GetBytes(ctx, sha)
	if err != nil {
		return false, fmt.Errorf("read code %s: %w", sha, err)
	}
	if info, err := c.obj.GetInfo(ctx, sha); err != nil || time.Since(info.ModTime) < grace {
		return false, nil // uploaded again since the listing
	}
	if err := c.obj.Delete(ctx, sha); err != nil {
		return false, fmt.Errorf("delete code %s: %w", sha, err)
	}
	// An upload that raced the delete is followed by the function that
	// refers to it within the same API request: wait that long, then look.
	select {
	case <-ctx.Done():
	case <-time.After(c.settle):
	}
	used, err := refs.CodeInUse(sha)
	if !used && err == nil {
		return true, nil
	}
	if _, perr := c.obj.PutBytes(ctx, sha, zip); perr != nil {
		return false, fmt.Errorf("restore code %s: %w", sha, perr)
	}
	return false, nil
}

// RunCollector collects unused packages every interval while this node
// holds the code-gc lease, until ctx ends.
func (n *Node) RunCollector(ctx context.Context, code *Code, refs CodeRefs, interval time.Duration) {
	held := make(chan bool, 1)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Add(1)
	go func() { // owned by RunCollector: ends with ctx, waited for on return
		defer wg.Done()
		n.Lease(ctx, "code-gc", func(h bool) {
			select {
			case <-held: // only this goroutine sends: the send below cannot block
			default:
			}
			held <- h
		})
	}()
	holding := false
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case holding = <-held:
			continue
		case <-tick.C:
		}
		if !holding {
			continue
		}
		op, cancel := context.WithTimeout(ctx, interval)
		count, err := code.Collect(op, refs, codeGrace)
		cancel()
		if count > 0 || err != nil {
			n.log.Info("unused code collected from the cluster", "count", count, "err", err)
		}
	}
}
