package api

import (
	"errors"
	"net/http"

	"github.com/hearth-run/hearth/internal/api/sigv4"
	"github.com/hearth-run/hearth/internal/codestore"
	"github.com/hearth-run/hearth/internal/invoke"
)

// mapExternal maps the errors of the code store, the signature verifier and
// the invoker to Lambda's error types; nil when it does not know err.
func (s *Server) mapExternal(err error) *awsError {
	var se *sigv4.Error
	var te *invoke.ThrottleError
	switch {
	case errors.As(err, &se):
		return errorf(se.HTTPStatus(), se.Code, se.Message)
	case errors.As(err, &te):
		return &awsError{Status: http.StatusTooManyRequests, Type: typeTooMany, Msg: "Rate Exceeded.", Reason: te.Reason}
	case errors.Is(err, invoke.ErrFunctionNotFound):
		return errorf(http.StatusNotFound, typeNotFound, "Function not found: "+afterColon(err))
	case errors.Is(err, invoke.ErrAsyncPayloadTooLarge):
		return errorf(http.StatusRequestEntityTooLarge, typeTooLarge, "Request must be smaller than 1048576 bytes for the InvokeFunction operation")
	case errors.Is(err, invoke.ErrEventUnsupported):
		return errorf(http.StatusBadRequest, typeInvalidParam, "Asynchronous invocation (InvocationType Event) is not enabled on this Hearth server.")
	case errors.Is(err, codestore.ErrZipTooLarge):
		return errorf(http.StatusRequestEntityTooLarge, typeEntityTooLarge, "Zipped size must be smaller than 52428800 bytes")
	case errors.Is(err, codestore.ErrUnzippedTooLarge):
		return errorf(http.StatusBadRequest, typeInvalidParam, "Unzipped size must be smaller than 262144000 bytes")
	case errors.Is(err, codestore.ErrNotZip):
		return errorf(http.StatusBadRequest, typeInvalidParam, "Could not unzip uploaded file. Please check your file, then try to upload again.")
	case errors.Is(err, codestore.ErrUnsafePath), errors.Is(err, codestore.ErrTooManyFiles):
		return errorf(http.StatusBadRequest, typeInvalidParam, "Could not unzip uploaded file: "+err.Error())
	}
	return nil
}

// afterColon returns the detail after the sentinel's text in a wrapped
// error ("function not found: arn:..." -> "arn:...").
func afterColon(err error) string {
	msg := err.Error()
	for i := 0; i+1 < len(msg); i++ {
		if msg[i] == ':' && msg[i+1] == ' ' {
			return msg[i+2:]
		}
	}
	return msg
}
