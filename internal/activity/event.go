package activity

import (
	"encoding/json"
	"time"
)

// Kind says what happened.
type Kind string

// The kinds of events.
const (
	// EnvInit is an environment that finished Init, or failed it (ErrorType
	// set). Reason says why it was started, Duration how long Init took.
	EnvInit Kind = "init"
	// InvokeStart is an invocation handed to an environment.
	InvokeStart Kind = "invoke-start"
	// InvokeEnd is an invocation that ended: Outcome, Duration and, for a
	// cold start, ColdReason and InitDuration.
	InvokeEnd Kind = "invoke"
	// Freeze is an idle environment whose processes were frozen.
	Freeze Kind = "freeze"
	// EnvStop is an environment shut down, with Reason.
	EnvStop Kind = "stop"
	// Throttle is an invocation refused by a concurrency limit, with
	// Lambda's Reason.
	Throttle Kind = "throttle"
	// Async is the recorded outcome of one asynchronous event (Outcome).
	Async Kind = "async"
	// FunctionDeleted is a function that no longer exists.
	FunctionDeleted Kind = "function-deleted"
)

// Invocation outcomes.
const (
	OutcomeOK       = "ok"
	OutcomeError    = "error"
	OutcomeTimeout  = "timeout"
	OutcomeThrottle = "throttle"
)

// Reasons an environment ends.
const (
	StopIdle     = "idle-timeout"
	StopUpdate   = "code-or-config-update"
	StopFailure  = "failure"
	StopShutdown = "shutdown"
	StopRetired  = "retired"
)

// Event is one thing that happened. Which fields are set depends on Kind.
type Event struct {
	Seq  uint64    `json:"seq"` // set by Publish, increasing
	Time time.Time `json:"time"`
	Kind Kind      `json:"kind"`

	Function  string `json:"function,omitempty"`
	Qualifier string `json:"qualifier,omitempty"` // version or alias the caller named
	Version   string `json:"version,omitempty"`   // version that ran
	Runtime   string `json:"runtime,omitempty"`
	Env       string `json:"env,omitempty"` // environment ID
	RequestID string `json:"requestId,omitempty"`

	Reason      string `json:"reason,omitempty"`
	Outcome     string `json:"outcome,omitempty"`
	ErrorType   string `json:"errorType,omitempty"`
	Provisioned bool   `json:"provisioned,omitempty"`
	Spillover   bool   `json:"spillover,omitempty"`

	Duration     time.Duration `json:"-"`
	InitDuration time.Duration `json:"-"`
	ColdReason   string        `json:"coldReason,omitempty"`
}

// MarshalJSON writes the durations as milliseconds.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	return json.Marshal(struct {
		plain
		DurationMS     float64 `json:"durationMs,omitempty"`
		InitDurationMS float64 `json:"initDurationMs,omitempty"`
	}{plain(e), millis(e.Duration), millis(e.InitDuration)})
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
