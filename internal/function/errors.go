package function

import "github.com/hearth-run/hearth/internal/errdefs"

// Sentinels classify validation failures, both of class errdefs.ErrInvalid.
// The api package maps them to AWS error types: ErrValidation to
// ValidationException, ErrInvalidParameter to
// InvalidParameterValueException.
var (
	ErrValidation       = errdefs.New(errdefs.ErrInvalid, "validation error")
	ErrInvalidParameter = errdefs.New(errdefs.ErrInvalid, "invalid parameter value")
)

// Error is a validation failure carrying Lambda's own wording in Msg.
type Error struct {
	Kind error  // ErrValidation or ErrInvalidParameter
	Msg  string // message as Lambda words it
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the sentinel the error belongs to.
func (e *Error) Unwrap() error { return e.Kind }

func validationf(field, value, constraint string) error {
	return &Error{Kind: ErrValidation, Msg: "1 validation error detected: Value '" + quote(value) +
		"' at '" + field + "' failed to satisfy constraint: " + constraint}
}

func invalidParam(msg string) error {
	return &Error{Kind: ErrInvalidParameter, Msg: msg}
}

// maxQuoted is how much of a value an error message repeats.
const maxQuoted = 256

// quote is a short, printable prefix of a client's value for an error
// message: control bytes as '?', cut at maxQuoted bytes with "...".
func quote(s string) string {
	cut := len(s) > maxQuoted
	if cut {
		s = s[:maxQuoted]
	}
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c == 0x7f {
			b[i] = '?'
		}
	}
	if cut {
		b = append(b, "..."...)
	}
	return string(b)
}
