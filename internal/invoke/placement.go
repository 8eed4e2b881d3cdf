package invoke

import (
	"context"

	"github.com/hearth-run/hearth/internal/pool"
)

// Placer chooses, in a cluster, whether a synchronous invocation runs on
// this node or on another one.
type Placer interface {
	// Place runs req on another node and returns its answer, or returns
	// handled false for this node to run it. A Go error is the other
	// node's (a throttle, a missing function) or the failure to reach it.
	Place(ctx context.Context, req *Request, at Placement) (res *Result, handled bool, err error)
}

// Placement is what a Placer learns of an invocation that would be a cold
// start on this node.
type Placement struct {
	Function string
	Version  string // the version the qualifier resolved to here
	MemoryMB int    // the version's memory size
	UsedMB   int    // memory of this node's live environments
}

// hereKey marks a context whose invocation must run on this node.
type hereKey struct{}

// Here marks ctx so that its invocation runs on this node whatever the
// Placer would choose: a node runs an invocation forwarded to it itself,
// so that a request takes one hop at most.
func Here(ctx context.Context) context.Context { return context.WithValue(ctx, hereKey{}, true) }

// place asks Options.Placer where a synchronous invocation runs. Requests
// that find a warm environment here, streamed responses and invocations
// forwarded here run here without asking.
func (iv *Invoker) place(ctx context.Context, req *Request, vs *versionSpec) (*Result, bool, error) {
	if iv.opts.Placer == nil || req.Type != RequestResponse || req.Stream != nil || HereMarked(ctx) {
		return nil, false, nil
	}
	c := &vs.config
	if iv.opts.Pool.Warm(c.Name, c.Version) {
		return nil, false, nil
	}
	return iv.opts.Placer.Place(ctx, req, Placement{Function: c.Name, Version: c.Version, MemoryMB: c.MemoryMB, UsedMB: iv.MemoryInUse()})
}

// MemoryInUse is the memory size, in MB, of this node's live
// environments. An environment whose version is no longer cached counts
// with Lambda's default of 128 MB.
func (iv *Invoker) MemoryInUse() int {
	envs := iv.opts.Pool.Environments()
	iv.mu.Lock()
	defer iv.mu.Unlock()
	used := 0
	for _, e := range envs {
		if e.State == pool.Stopping || e.State == pool.Stopped {
			continue
		}
		if vs := iv.specs[pool.Key(e.Function, e.Version)]; vs != nil {
			used += vs.config.MemoryMB
		} else {
			used += 128
		}
	}
	return used
}

// HereMarked reports whether ctx was marked by Here.
func HereMarked(ctx context.Context) bool { return ctx.Value(hereKey{}) != nil }
