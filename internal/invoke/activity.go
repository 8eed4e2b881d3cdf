package invoke

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/hearth-run/hearth/internal/activity"
	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/pool"
)

// ErrorTypeFunction is the error type of events for errors that the
// function's own code reported, whatever name it gave them, so that the
// number of error types stays bounded.
const ErrorTypeFunction = "Function"

func qualifierOf(req *Request) string {
	if req.Qualifier == "" {
		return function.Latest
	}
	return req.Qualifier
}

// throttled tells of a throttled invocation.
func (iv *Invoker) throttled(req *Request, vs *versionSpec, reason string) {
	iv.opts.Events.Publish(activity.Event{Kind: activity.Throttle, Function: req.Function,
		Qualifier: qualifierOf(req), Version: vs.config.Version, Runtime: vs.config.Runtime, Reason: reason})
}

// started tells of an invocation handed to an environment and returns the
// event to complete and pass to ended.
func (iv *Invoker) started(req *Request, vs *versionSpec, acq pool.Acquisition, requestID string) *activity.Event {
	ev := &activity.Event{Kind: activity.InvokeStart, Function: req.Function, Qualifier: qualifierOf(req),
		Version: vs.config.Version, Runtime: vs.config.Runtime, RequestID: requestID,
		Provisioned: acq.Provisioned, Spillover: acq.Spillover}
	if acq.Env != nil {
		ev.Env = acq.Env.ID
		if acq.Cold {
			ev.ColdReason, ev.InitDuration = acq.Reason, acq.Env.InitDuration()
		}
	}
	iv.opts.Events.Publish(*ev)
	return ev
}

// publishEnd tells of an invocation's end.
func (iv *Invoker) publishEnd(ev *activity.Event, d time.Duration, outcome, errorType string) {
	ev.Kind, ev.Outcome, ev.ErrorType, ev.Seq, ev.Duration = activity.InvokeEnd, outcome, errorType, 0, d
	// ev.Time is still zero: Publish stamps the end time.
	iv.opts.Events.Publish(*ev)
}

// outcome classifies an invocation by its REPORT status and error type,
// and, for an error the function reported, its payload.
func outcome(status, errorType string, payload []byte) (string, string) {
	switch {
	case status == "":
		return activity.OutcomeOK, ""
	case status == "timeout":
		return activity.OutcomeTimeout, errdefs.SandboxTimedout
	case errorType != "":
		return activity.OutcomeError, boundedType(errorType)
	}
	var body struct {
		Type string `json:"errorType"`
	}
	_ = json.Unmarshal(payload, &body)
	return activity.OutcomeError, boundedType(body.Type)
}

// initErrorType is the error type of a failed Init.
func initErrorType(err error) string {
	var ie *pool.InitError
	if errors.As(err, &ie) {
		return boundedType(ie.Type)
	}
	return errdefs.RuntimeUnknown
}

// boundedType keeps Lambda's own error types and folds every name a
// function chose into ErrorTypeFunction.
func boundedType(t string) string {
	if strings.HasPrefix(t, "Runtime.") || strings.HasPrefix(t, "Sandbox.") {
		return t
	}
	return ErrorTypeFunction
}
