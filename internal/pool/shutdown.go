package pool

import (
	"context"
	"time"

	"github.com/hearth-run/hearth/internal/runtimeapi"
)

// internalGrace is Lambda's Shutdown phase for a function whose only
// extensions are internal (registered from the runtime process).
const internalGrace = 500 * time.Millisecond

// shutdown ends an environment's process as Lambda does. Without
// extensions the process gets SIGKILL alone. With extensions, the
// Shutdown phase lasts 500 ms (internal extensions only) or StopGrace
// (external ones): extensions registered for it get their SHUTDOWN event
// (reason "failure" for an environment that failed, else "spindown"),
// the runtime SIGTERM, and whatever is left SIGKILL at the end of the
// phase. The Runtime API stays up throughout; the caller closes it after.
func (p *Pool) shutdown(proc Process, rapi *runtimeapi.Server, reason string) {
	var internal, external int
	if rapi != nil {
		internal, external = rapi.Extensions()
	}
	var grace time.Duration
	switch {
	case external > 0:
		grace = p.opts.StopGrace
	case internal > 0:
		grace = internalGrace
	default:
		proc.Stop(0)
		return
	}
	deadline := time.Now().Add(grace)
	_ = proc.Thaw() // the extensions must run to see their event
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	rapi.Shutdown(ctx, reason)
	cancel()
	proc.Stop(time.Until(deadline))
}
