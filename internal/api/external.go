package api

import (
	"errors"
	"net/http"

	"github.com/hearth-run/hearth/internal/api/sigv4"
	"github.com/hearth-run/hearth/internal/codestore"
	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/invoke"
)

// sentinelErrors are the errors whose answer Lambda words exactly. msg,
// when set, builds the message from the error; else it is fixed.
var sentinelErrors = []struct {
	err    error
	status int
	typ    string
	fixed  string
	detail bool // append the error's own text to fixed
}{
	{invoke.ErrAsyncPayloadTooLarge, http.StatusRequestEntityTooLarge, typeTooLarge,
		"Request must be smaller than 1048576 bytes for the InvokeFunction operation", false},
	{invoke.ErrEventUnsupported, http.StatusBadRequest, typeInvalidParam,
		"Asynchronous invocation (InvocationType Event) is not enabled on this Hearth server.", false},
	{codestore.ErrZipTooLarge, http.StatusRequestEntityTooLarge, typeEntityTooLarge,
		"Zipped size must be smaller than 52428800 bytes", false},
	{codestore.ErrUnzippedTooLarge, http.StatusBadRequest, typeInvalidParam,
		"Unzipped size must be smaller than 262144000 bytes", false},
	{codestore.ErrNotZip, http.StatusBadRequest, typeInvalidParam,
		"Could not unzip uploaded file. Please check your file, then try to upload again.", false},
	{codestore.ErrUnsafePath, http.StatusBadRequest, typeInvalidParam, "Could not unzip uploaded file: ", true},
	{codestore.ErrTooManyFiles, http.StatusBadRequest, typeInvalidParam, "Could not unzip uploaded file: ", true},
}

// classErrors maps each class of errdefs to its HTTP status and Lambda
// error type, for every error no row above names; the message is the
// error's own text.
var classErrors = []struct {
	class  error
	status int
	typ    string
}{
	{errdefs.ErrNotFound, http.StatusNotFound, typeNotFound},
	{errdefs.ErrConflict, http.StatusConflict, typeConflict},
	{errdefs.ErrInvalid, http.StatusBadRequest, typeInvalidParam},
	{errdefs.ErrTooLarge, http.StatusRequestEntityTooLarge, typeEntityTooLarge},
	{errdefs.ErrThrottled, http.StatusTooManyRequests, typeTooMany},
	{errdefs.ErrUnavailable, http.StatusServiceUnavailable, typeService},
}

// mapError maps an error from any package below api to Lambda's error;
// nil when it belongs to no class (an internal error). Typed errors give
// their fields (a reason, an ARN, Lambda's own message); no message is
// ever parsed.
func mapError(err error) *awsError {
	var (
		se *sigv4.Error
		fe *function.Error
		te *errdefs.ThrottleError
		nf *errdefs.NotFoundError
	)
	switch {
	case errors.As(err, &se):
		return errorf(se.HTTPStatus(), se.Code, se.Message)
	case errors.As(err, &fe) && errors.Is(err, function.ErrValidation):
		return errorf(http.StatusBadRequest, typeValidation, fe.Msg)
	case errors.As(err, &fe):
		return errorf(http.StatusBadRequest, typeInvalidParam, fe.Msg)
	case errors.As(err, &te):
		return &awsError{Status: http.StatusTooManyRequests, Type: typeTooMany, Msg: "Rate Exceeded.", Reason: te.Reason}
	case errors.As(err, &nf) && errors.Is(err, invoke.ErrFunctionNotFound):
		return errorf(http.StatusNotFound, typeNotFound, "Function not found: "+nf.ARN)
	}
	for _, row := range sentinelErrors {
		if errors.Is(err, row.err) {
			msg := row.fixed
			if row.detail {
				msg += err.Error()
			}
			return errorf(row.status, row.typ, msg)
		}
	}
	for _, row := range classErrors {
		if errors.Is(err, row.class) {
			return errorf(row.status, row.typ, err.Error())
		}
	}
	return nil
}
