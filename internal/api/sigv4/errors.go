package sigv4

import (
	"fmt"
	"net/http"
	"time"
)

// Error codes, spelled as AWS sends them in the x-amzn-ErrorType header and
// the __type field of a JSON error.
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	CodeIncompleteSignature        = "IncompleteSignatureException"
	CodeInvalidSignature           = "InvalidSignatureException"
	CodeUnrecognizedClient         = "UnrecognizedClientException"
)

// Error is a failed verification, shaped as AWS reports it.
type Error struct {
	Code    string // AWS error code, one of the Code constants
	Message string // AWS's message for the failure
}

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// HTTPStatus is the status AWS answers the failure with: 403 for all of them.
func (e *Error) HTTPStatus() int { return http.StatusForbidden }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, ErrInvalidSignature) matches whatever the message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is; they match any *Error with the same code.
var (
	ErrMissingAuthenticationToken = &Error{Code: CodeMissingAuthenticationToken}
	ErrIncompleteSignature        = &Error{Code: CodeIncompleteSignature}
	ErrInvalidSignature           = &Error{Code: CodeInvalidSignature}
	ErrUnrecognizedClient         = &Error{Code: CodeUnrecognizedClient}
)

const (
	msgMissingToken      = "Missing Authentication Token"
	msgUnknownKey        = "The security token included in the request is invalid."
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgHostNotSigned = "'Host' must be a 'SignedHeader' in the AWS Authorization."
)

func missingToken() *Error { return &Error{CodeMissingAuthenticationToken, msgMissingToken} }

func unknownKey() *Error { return &Error{CodeUnrecognizedClient, msgUnknownKey} }

func mismatch() *Error { return &Error{CodeInvalidSignature, msgSignatureMismatch} }

func incomplete(format string, args ...any) *Error {
	return &Error{CodeIncompleteSignature, fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) *Error {
	return &Error{CodeInvalidSignature, fmt.Sprintf(format, args...)}
}

// skewError is AWS's message for a request dated outside now ± skew.
func skewError(signed, now time.Time, skew time.Duration) *Error {
	span := formatSpan(skew)
	if signed.Before(now) {
		return invalid("Signature expired: %s is now earlier than %s (%s - %s.)",
			signed.Format(amzDateLayout), now.Add(-skew).Format(amzDateLayout), now.Format(amzDateLayout), span)
	}
	return invalid("Signature not yet current: %s is still later than %s (%s + %s.)",
		signed.Format(amzDateLayout), now.Add(skew).Format(amzDateLayout), now.Format(amzDateLayout), span)
}

// formatSpan renders a skew the way AWS does ("15 min"), falling back to
// seconds for skews that are not whole minutes.
func formatSpan(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return fmt.Sprintf("%d sec", d/time.Second)
}
