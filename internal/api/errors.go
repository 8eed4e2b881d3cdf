package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// awsError is an error as Lambda reports it: an HTTP status, an error type
// in the X-Amzn-ErrorType header, and a JSON body with the message.
type awsError struct {
	Status int
	Type   string
	Msg    string
	Reason string // TooManyRequestsException only
}

func (e *awsError) Error() string { return e.Type + ": " + e.Msg }

// staleRevision answers an update whose RevisionId is not the current one.
func staleRevision() *awsError {
	return errorf(http.StatusPreconditionFailed, typePrecondition,
		"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
}

func errorf(status int, typ, msg string) *awsError {
	return &awsError{Status: status, Type: typ, Msg: msg}
}

// Lambda's error types used by more than one handler.
const (
	typeInvalidParam   = "InvalidParameterValueException"
	typeValidation     = "ValidationException"
	typeNotFound       = "ResourceNotFoundException"
	typeConflict       = "ResourceConflictException"
	typeInvalidContent = "InvalidRequestContentException"
	typeService        = "ServiceException"
	typeTooLarge       = "RequestTooLargeException"
	typeEntityTooLarge = "RequestEntityTooLargeException"
	typePrecondition   = "PreconditionFailedException"
	typeTooMany        = "TooManyRequestsException"
)

// toAWS maps an error from any package below api to Lambda's error. It is
// the one place where Go errors become AWS error types; the tables are in
// external.go.
func (s *Server) toAWS(err error) *awsError {
	var ae *awsError
	if errors.As(err, &ae) {
		return ae
	}
	if m := mapError(err); m != nil {
		return m
	}
	return errorf(http.StatusInternalServerError, typeService, "internal error")
}

// maxEcho is how much of a client's input an error message repeats.
const maxEcho = 256

// sanitize is a short, printable prefix of client input for an error
// message: at most maxEcho bytes, control and non-ASCII bytes as '?', and
// "..." when cut.
func sanitize(s string) string {
	cut := len(s) > maxEcho
	if cut {
		s = s[:maxEcho]
	}
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	if cut {
		b = append(b, "..."...)
	}
	return string(b)
}

// maxMessage bounds any error message Hearth sends, whatever built it.
const maxMessage = 1024

// writeError sends err in Lambda's restJson1 error shape.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := s.toAWS(err)
	msg := ae.Msg
	if ae.Status >= 500 {
		// The cause (which may name host paths) goes to the log only; the
		// client gets the request id to find it there.
		id := requestID(w)
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", sanitize(r.URL.Path),
			"request_id", id, "err", err)
		msg = ae.Msg + " (request id " + id + ")"
	}
	if len(msg) > maxMessage {
		msg = msg[:maxMessage] + "..."
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", ae.Type)
	body := map[string]string{"Type": "User", "message": msg}
	if ae.Status >= 500 {
		body["Type"] = "Service"
	}
	if ae.Reason != "" {
		body["Reason"] = ae.Reason
	}
	b, _ := json.Marshal(body)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(ae.Status)
	_, _ = w.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
