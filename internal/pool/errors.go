package pool

import (
	"encoding/json"
	"fmt"

	"github.com/hearth-run/hearth/internal/errdefs"
)

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
		v.Type = errdefs.RuntimeUnknown
	}
	return &InitError{Type: v.Type, Message: v.Message, Body: body}
}

func exitInitError(proc Process) *InitError {
	if proc.OOMKilled() {
		return &InitError{Type: errdefs.RuntimeOutOfMemory, Message: "Runtime exited with error: signal: killed"}
	}
	return &InitError{Type: errdefs.RuntimeExitError, Message: fmt.Sprintf("Runtime exited with error: %v", proc.ExitError())}
}
