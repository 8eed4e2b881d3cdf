package runtimeapi

import (
	"encoding/json"
	"net/http"
)

// Error types Lambda returns to runtimes.
const (
	errInvalidRequestID       = "InvalidRequestID"
	errInvalidStateTransition = "InvalidStateTransition"
	errRequestEntityTooLarge  = "RequestEntityTooLarge"
)

// jsonContentType is shared by every JSON answer; net/http only reads it.
var jsonContentType = []string{"application/json"}

// Bodies that never change are rendered once. Like Lambda's, they end in a
// newline.
var (
	bodyAccepted         = []byte("{\"status\":\"OK\"}\n")
	bodyInvalidRequestID = errorBody("Invalid request ID", errInvalidRequestID)
)

// errorBody renders Lambda's error shape for the runtime.
func errorBody(message, errorType string) []byte {
	b, err := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{message, errorType})
	if err != nil { // two strings always marshal
		panic(err)
	}
	return append(b, '\n')
}

// writeJSON writes a JSON answer with its status.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header()[hdrContentType] = jsonContentType
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeForbidden answers a call the runtime's state does not allow, in
// Lambda's words.
func writeForbidden(w http.ResponseWriter, from runtimeState, to string) {
	msg := "State transition from " + from.String() + " to " + to +
		" failed for runtime. Error: State transition is not allowed"
	writeJSON(w, http.StatusForbidden, errorBody(msg, errInvalidStateTransition))
}
