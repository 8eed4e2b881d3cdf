package pool

import (
	"errors"

	"github.com/hearth-run/hearth/internal/activity"
	"github.com/hearth-run/hearth/internal/errdefs"
)

// ReasonProvisioned is the Init reason of a provisioned environment.
const ReasonProvisioned = "provisioned-concurrency"

// ending records why the environment is about to be stopped; the first
// reason given wins.
func (e *Environment) ending(reason string) {
	e.mu.Lock()
	if e.endReason == "" {
		e.endReason = reason
	}
	e.mu.Unlock()
}

// stopReason turns the reason a version lost an environment into the
// reason the environment ended.
func stopReason(lost string) string {
	switch lost {
	case ReasonUpdate:
		return activity.StopUpdate
	case ReasonEviction:
		return activity.StopIdle
	default:
		return activity.StopFailure
	}
}

// publish sends an event about this environment.
func (e *Environment) publish(ev activity.Event) {
	if e.events == nil {
		return
	}
	ev.Function, ev.Version, ev.Runtime, ev.Env, ev.Provisioned = e.Function, e.Version, e.runtime, e.ID, e.Provisioned
	e.events.Publish(ev)
}

// publishInit tells of a finished Init; err is its failure, if any.
func (e *Environment) publishInit(initType string, err error) {
	ev := activity.Event{Kind: activity.EnvInit, Reason: e.coldReason, Duration: e.initDuration}
	if initType == ReasonProvisioned {
		ev.Reason = ReasonProvisioned
	}
	if err != nil {
		ev.ErrorType = errdefs.RuntimeUnknown
		var ie *InitError
		if errors.As(err, &ie) {
			ev.ErrorType = ie.Type
		}
	}
	e.publish(ev)
}

// publishStop tells of a stopped environment.
func (e *Environment) publishStop(reason string) {
	if reason == "" {
		reason = activity.StopRetired
	}
	e.publish(activity.Event{Kind: activity.EnvStop, Reason: reason})
}
