package invoke

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/queue"
)

// MaxAsyncPayload is Lambda's limit on an Event invocation's payload.
const MaxAsyncPayload = 1 << 20

// ErrAsyncPayloadTooLarge is returned for an Event payload over MaxAsyncPayload.
var ErrAsyncPayloadTooLarge = errdefs.New(errdefs.ErrTooLarge, "asynchronous payload too large")

// Enqueuer accepts asynchronous invocations durably.
type Enqueuer interface {
	Enqueue(ctx context.Context, ev queue.Event) (string, error)
}

// enqueue accepts an Event invocation: once it is on disk the caller gets 202.
func (iv *Invoker) enqueue(ctx context.Context, req *Request, vs *versionSpec) (*Result, error) {
	if iv.opts.Queue == nil {
		return nil, ErrEventUnsupported
	}
	if len(req.Payload) > MaxAsyncPayload {
		return nil, ErrAsyncPayloadTooLarge
	}
	id, err := iv.opts.Queue.Enqueue(ctx, queue.Event{
		ID: function.NewUUID(), Function: req.Function, Qualifier: req.Qualifier, Payload: req.Payload,
	})
	if err != nil {
		return nil, fmt.Errorf("enqueue event for %s: %w", req.Function, err)
	}
	return &Result{Status: http.StatusAccepted, RequestID: id, ExecutedVersion: vs.config.Version}, nil
}

// InvokeAsync runs one queued event; it implements queue.Invoker. A
// throttle is an Outcome the queue retries, not a failure.
func (iv *Invoker) InvokeAsync(ctx context.Context, ev *queue.Event) (queue.Outcome, error) {
	req := &Request{Function: ev.Function, Qualifier: ev.Qualifier, Type: RequestResponse, Payload: ev.Payload,
		durableOutput: true}
	vs, err := iv.resolve(req)
	if errors.Is(err, ErrFunctionNotFound) {
		return queue.Outcome{}, fmt.Errorf("%w: %v", queue.ErrFunctionGone, err)
	}
	if err != nil {
		return queue.Outcome{}, err
	}
	res, err := iv.run(ctx, req, vs, ev.ID)
	if errdefs.IsThrottled(err) {
		return queue.Outcome{Throttled: true}, nil
	}
	if err != nil {
		return queue.Outcome{}, err
	}
	return queue.Outcome{FunctionError: res.FunctionError, Payload: res.Payload, ExecutedVersion: res.ExecutedVersion}, nil
}

// EventConfigStore is the metadata the async configuration comes from.
type EventConfigStore interface {
	Function(name string) (*function.Function, error)
	EventInvokeConfig(name, qualifier string) (*function.EventInvokeConfig, error)
}

// AsyncConfigs gives the queue each function's event invoke config, dead
// letter target and reserved concurrency; it implements queue.ConfigSource.
type AsyncConfigs struct {
	Store EventConfigStore
}

// EventInvokeConfig returns the settings of a function qualifier, with
// Lambda's defaults where none are set.
func (a AsyncConfigs) EventInvokeConfig(name, qualifier string) (queue.EventConfig, error) {
	if qualifier == "" {
		qualifier = function.Latest
	}
	out := queue.EventConfig{MaxRetryAttempts: queue.DefaultMaxRetryAttempts, MaxEventAge: queue.DefaultMaxEventAge}
	fn, err := a.Store.Function(name)
	if err != nil {
		return out, fmt.Errorf("%w: %s", queue.ErrFunctionGone, name)
	}
	out.DeadLetter = fn.Latest.DeadLetterARN
	c, err := a.Store.EventInvokeConfig(name, qualifier)
	if err != nil {
		return out, nil // none set: defaults
	}
	if c.MaximumRetryAttempts != nil {
		out.MaxRetryAttempts = *c.MaximumRetryAttempts
	}
	if c.MaximumEventAgeSecs != nil {
		out.MaxEventAge = time.Duration(*c.MaximumEventAgeSecs) * time.Second
	}
	out.OnSuccess, out.OnFailure = c.OnSuccess, c.OnFailure
	return out, nil
}

// Concurrency returns the function's reserved concurrency, if any.
func (a AsyncConfigs) Concurrency(name string) (int, bool) {
	fn, err := a.Store.Function(name)
	if err != nil || fn.ReservedConcurrency == nil {
		return 0, false
	}
	return *fn.ReservedConcurrency, true
}
