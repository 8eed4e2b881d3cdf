package invoke

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hearth-run/hearth/internal/activity"
	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/logs"
	"github.com/hearth-run/hearth/internal/pool"
	"github.com/hearth-run/hearth/internal/runtimeapi"
)

// TailWait bounds how long a caller that asked for LogType Tail waits,
// after the runtime has posted its response, for the runtime to ask for
// its next event, which ends the invocation and writes END and REPORT. A
// runtime still working after that gets its answer out with the log as
// written so far; END and REPORT follow in the stream.
const TailWait = 2 * time.Second

// ending is an invocation whose outcome is known and whose end — the
// runtime's next GET /next, its exit or the deadline — is awaited.
type ending struct {
	env    *pool.Environment
	vs     *versionSpec
	res    *Result
	cold   bool
	begin  time.Time
	ctx    context.Context // ends at the function's deadline
	cancel context.CancelFunc
	ev     *activity.Event // the invocation's event, published at its end
	// release gives back the cluster's unit of reserved concurrency.
	release func()

	healthy   bool
	status    string // REPORT status: "", "error" or "timeout"
	errorType string // REPORT error type with a failed status
}

// afterResponse ends an invocation whose runtime has posted its outcome.
// The caller is answered at once, as on Lambda; the environment stays busy
// until the runtime asks for its next event, so that no other request is
// routed to a runtime that is about to exit. With tail, the caller waits
// up to TailWait for that, so that its log tail is complete.
func (iv *Invoker) afterResponse(e *ending, tail bool) {
	iv.opts.Pool.Responded(e.env)
	if tail {
		wctx, cancel := context.WithTimeout(e.ctx, TailWait)
		err := e.env.AwaitNext(wctx)
		cancel()
		if err == nil || e.ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			iv.ended(e, err)
			e.res.LogTail = e.env.Stream().Tail()
			return
		}
		e.res.LogTail = e.env.Stream().Tail()
	}
	iv.wg.Add(1)
	if e.env.NotifyNext(e.ctx, func(err error) {
		defer iv.wg.Done()
		iv.ended(e, err)
	}) {
		return
	}
	go func() {
		defer iv.wg.Done()
		iv.ended(e, e.env.AwaitNext(e.ctx))
	}()
}

// ended records how the invocation ended once the runtime has posted its
// outcome: nil at its next GET /next, else the error that ended the wait.
func (iv *Invoker) ended(e *ending, err error) {
	if err != nil {
		e.healthy = false
		requestID := e.res.RequestID
		if exited, oom, exitErr := waitExit(e.env, err); exited {
			typ := errdefs.RuntimeExitError
			if oom {
				typ = errdefs.RuntimeOutOfMemory
			}
			e.env.SyncOutput()
			fmt.Fprintf(e.env.Stream(), "RequestId: %s Error: Runtime exited with error: %v\n%s\n", requestID, exitErr, typ)
			e.status, e.errorType = "error", typ
		} else if errors.Is(err, context.DeadlineExceeded) {
			e.env.SyncOutput()
			e.env.Stream().TimedOut(requestID, time.Duration(e.vs.config.TimeoutSec)*time.Second)
			e.status, e.errorType = "timeout", ""
		}
	}
	iv.finish(e)
}

// finish writes END and REPORT and releases the environment.
func (iv *Invoker) finish(e *ending) {
	e.cancel()
	elapsed := time.Since(e.begin)
	env, requestID := e.env, e.res.RequestID
	stream := env.Stream()
	peak := env.MaxMemoryBytes()
	if e.healthy && oomInTree(env, peak, e.vs.config.MemoryMB) {
		// The kernel killed a process of the tree (a child the function
		// started) while the bootstrap lived on. On Lambda the whole
		// environment goes; so does this one, and the caller is told.
		e.healthy, e.res.FunctionError, e.status, e.errorType = false, "Unhandled", "error", errdefs.RuntimeOutOfMemory
		msg := "RequestId: " + requestID + " Error: Runtime exited with error: signal: killed"
		fmt.Fprintf(stream, "%s\nRuntime.OutOfMemory\n", msg)
		e.res.Payload = errorBody(errdefs.RuntimeOutOfMemory, msg)
	}
	env.SyncOutput()
	stream.End(requestID)
	r := logs.Report{RequestID: requestID, Duration: elapsed, MemorySizeMB: e.vs.config.MemoryMB,
		MaxMemoryUsedMB: int((peak + (1<<20 - 1)) >> 20)}
	if e.cold {
		r.InitDuration = env.InitDuration()
		r.BillInit = strings.HasPrefix(e.vs.config.Runtime, "provided")
	}
	if e.status == "timeout" || e.status == "error" && !e.healthy {
		r.Status, r.ErrorType = e.status, e.errorType
	}
	stream.Report(r)
	env.Emit(runtimeapi.TelemetryReport, func() any { return reportRecord(r) })
	oc, errType := outcome(e.status, e.errorType, e.res.Payload)
	iv.publishEnd(e.ev, elapsed, oc, errType)
	iv.opts.Pool.Release(env, e.healthy)
	if e.release != nil {
		e.release()
	}
}

// Drain waits until every invocation still awaiting its runtime's next
// request has ended, or ctx is done. Close waits without a bound.
func (iv *Invoker) Drain(ctx context.Context) {
	ch := make(chan struct{})
	go func() { iv.wg.Wait(); close(ch) }()
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

// Close waits for the invocations still ending; stopping the pool first
// ends them.
func (iv *Invoker) Close() { iv.wg.Wait() }

// reportRecord is the Telemetry API's platform.report record of r.
func reportRecord(r logs.Report) map[string]any {
	status := "success"
	switch {
	case r.Status == "timeout":
		status = "timeout"
	case r.Status != "":
		status = "error"
	}
	metrics := map[string]any{"durationMs": float64(r.Duration.Microseconds()) / 1000,
		"billedDurationMs": r.Billed().Milliseconds(),
		"memorySizeMB":     r.MemorySizeMB, "maxMemoryUsedMB": r.MaxMemoryUsedMB}
	if r.InitDuration > 0 {
		metrics["initDurationMs"] = float64(r.InitDuration.Microseconds()) / 1000
	}
	rec := map[string]any{"requestId": r.RequestID, "status": status, "metrics": metrics}
	if r.ErrorType != "" {
		rec["errorType"] = r.ErrorType
	}
	return rec
}
