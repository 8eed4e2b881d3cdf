package invoke

import (
	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/runtimeapi"
)

// Invocation types of Lambda's Invoke API (X-Amz-Invocation-Type).
const (
	RequestResponse = "RequestResponse"
	Event           = "Event"
	DryRun          = "DryRun"
)

// Request is one call of Lambda's Invoke API, already parsed and validated
// by the api package.
type Request struct {
	Function      string // function name
	Qualifier     string // version or alias; "" = $LATEST
	Type          string // RequestResponse, Event or DryRun
	Payload       []byte // event JSON
	LogTail       bool   // X-Amz-Log-Type: Tail
	ClientContext string // decoded X-Amz-Client-Context JSON
	TraceID       string // X-Amzn-Trace-Id, if the caller sent one

	// Stream, when set, receives a response the function streams as it is
	// written (InvokeWithResponseStream, RESPONSE_STREAM URLs).
	Stream runtimeapi.Stream

	// durableOutput says the answer is recorded for good (an async event's
	// outcome): what the function printed is on disk before it is given.
	durableOutput bool
}

// Result is the answer to a Request. A function that failed is a Result
// with FunctionError set, not a Go error.
type Result struct {
	Status          int    // HTTP status: 200, 202 or 204
	Payload         []byte // response or Lambda's error JSON
	FunctionError   string // "", "Unhandled" or "Handled"
	ExecutedVersion string
	LogTail         []byte // the invocation's log, at most the last 4 KB, when requested
	RequestID       string
	// Streamed says the response went to Request.Stream; Payload then
	// holds only an error body, if any.
	Streamed bool
}

// Sentinels returned by Invoke, each in its errdefs class. A missing
// function comes as an *errdefs.NotFoundError with its ARN; a throttled
// invocation as the pool's *errdefs.ThrottleError with Lambda's reason.
// The api package maps them to Lambda's error types.
var (
	ErrFunctionNotFound = errdefs.New(errdefs.ErrNotFound, "function not found")
	ErrEventUnsupported = errdefs.New(errdefs.ErrUnavailable, "asynchronous invocation is not available")
)
