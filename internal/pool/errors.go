package pool

import (
	"encoding/json"
	"fmt"
)

// ThrottleError says that concurrency limits left no room for a new
// environment; Reason is Lambda's throttle reason.
type ThrottleError struct {
	Reason string
}

func (e *ThrottleError) Error() string { return "throttled: " + e.Reason }

// InitError is a failed Init, as the function's caller sees it: Lambda's
// error type and message.
type InitError struct {
	Type    string
	Message string
	// Body is the runtime's own error JSON, when it reported one through
	// /runtime/init/error.
	Body []byte
}

func (e *InitError) Error() string { return e.Type + ": " + e.Message }

func initErrorFromBody(body []byte) *InitError {
	var v struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}
	_ = json.Unmarshal(body, &v)
	if v.Type == "" {
		v.Type = "Runtime.Unknown"
	}
	return &InitError{Type: v.Type, Message: v.Message, Body: body}
}

func exitInitError(proc Process) *InitError {
	if proc.OOMKilled() {
		return &InitError{Type: "Runtime.OutOfMemory", Message: "Runtime exited with error: signal: killed"}
	}
	return &InitError{Type: "Runtime.ExitError", Message: fmt.Sprintf("Runtime exited with error: %v", proc.ExitError())}
}
