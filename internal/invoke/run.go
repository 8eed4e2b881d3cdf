package invoke

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hearth-run/hearth/internal/activity"
	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/pool"
	"github.com/hearth-run/hearth/internal/runtimeapi"
)

// Invoke runs req. A function that fails is a Result with FunctionError
// set; a Go error means the invocation could not run.
func (iv *Invoker) Invoke(ctx context.Context, req *Request) (*Result, error) {
	vs, err := iv.resolve(req)
	if err != nil {
		return nil, err
	}
	switch req.Type {
	case DryRun:
		return &Result{Status: http.StatusNoContent, ExecutedVersion: vs.config.Version}, nil
	case Event:
		return iv.enqueue(ctx, req, vs)
	}
	if res, forwarded, err := iv.place(ctx, req, vs); forwarded || err != nil {
		return res, err
	}
	return iv.run(ctx, req, vs, function.NewUUID())
}

// run executes one synchronous invocation in an environment. It returns
// once the runtime has posted its outcome; the invocation ends, and the
// environment is released, when the runtime asks for its next event (see
// ending.go).
func (iv *Invoker) run(ctx context.Context, req *Request, vs *versionSpec, requestID string) (*Result, error) {
	res := &Result{Status: http.StatusOK, ExecutedVersion: vs.config.Version, RequestID: requestID}
	if vs.missing != nil {
		return iv.initFailed(res, vs.missing)
	}
	release, err := iv.takeShared(req, vs)
	if err != nil {
		return nil, err
	}
	acq, err := iv.opts.Pool.AcquireFrozen(ctx, &vs.pool)
	var te *errdefs.ThrottleError
	if errors.As(err, &te) {
		release()
		iv.throttled(req, vs, te.Reason)
		return nil, fmt.Errorf("invoke %s: %w", req.Function, err)
	}
	ev := iv.started(req, vs, acq, requestID)
	if err != nil {
		release()
		iv.publishEnd(ev, 0, activity.OutcomeError, initErrorType(err))
		return iv.acquireFailed(req, res, acq, vs, err)
	}
	env := acq.Env
	env.Stream().Start(requestID, vs.config.Version)
	timeout := time.Duration(vs.config.TimeoutSec) * time.Second
	e := &ending{env: env, vs: vs, res: res, cold: acq.Cold, ev: ev, healthy: true,
		begin: time.Now(), release: release}
	e.ctx, e.cancel = context.WithDeadline(context.WithoutCancel(ctx), e.begin.Add(timeout))
	out, err := env.Invoke(e.ctx, runtimeapi.Invocation{
		RequestID: requestID, FunctionARN: function.QualifiedARN(iv.opts.Region, iv.opts.Account, req.Function, req.Qualifier),
		Deadline: e.begin.Add(timeout),
		TraceID:  activeTrace(req.TraceID, e.begin, vs.config.Settings.Tracing()), ClientContext: req.ClientContext, Payload: req.Payload, Stream: req.Stream,
		Resume: env, // thawed once its event is written (pool.AcquireFrozen)
	})
	if err != nil {
		e.healthy = false
		res.FunctionError = "Unhandled"
		res.Payload, e.status, e.errorType = iv.failure(env, requestID, vs, err)
		iv.finish(e)
		if req.LogTail {
			res.LogTail = env.Stream().Tail()
		}
		return res, nil
	}
	res.Payload, res.Streamed = out.Payload, out.Streamed
	if out.ErrorType != "" {
		res.FunctionError = "Unhandled"
		e.status = "error"
	}
	if req.durableOutput && !req.LogTail {
		// The invocation's END and REPORT (which flush) come later, at the
		// runtime's next request; an outcome recorded for good must not
		// precede the output it produced on disk.
		env.SyncOutput()
		env.Stream().Flush()
	}
	iv.afterResponse(e, req.LogTail)
	return res, nil
}

// oomInTree reports whether the memory limit killed a process of the
// environment. The cgroup's OOM record is read only when the peak came
// close to the limit, so a normal invocation pays nothing for the check.
func oomInTree(env *pool.Environment, peak uint64, memoryMB int) bool {
	limit := uint64(memoryMB) << 20
	return peak >= limit-limit/20 && env.OOMKilled()
}
