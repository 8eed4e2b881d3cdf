// Package errdefs defines Hearth's classes of error, in the manner of
// containerd's errdefs: every package's sentinel belongs to one class, and
// typed errors carry what a caller needs to answer (an ARN, a reason), so
// that no one ever recovers data by parsing err.Error(). The api package
// maps classes to HTTP statuses and Lambda's error types in one table;
// nothing else does.
//
// It also names, in one place, Lambda's error types for a failed
// invocation (lambda.go).
package errdefs

import "errors"

// The classes. Test with errors.Is or the Is functions.
var (
	// ErrNotFound: the named resource does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the resource exists, is in use, or changed meanwhile.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the request is malformed or breaks a limit on content.
	ErrInvalid = errors.New("invalid")
	// ErrTooLarge: the request is larger than allowed.
	ErrTooLarge = errors.New("too large")
	// ErrThrottled: a concurrency limit refused the work for now.
	ErrThrottled = errors.New("throttled")
	// ErrUnavailable: the service cannot do the work (disabled, shutting
	// down).
	ErrUnavailable = errors.New("unavailable")
)

// IsNotFound reports whether err is of class ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsConflict reports whether err is of class ErrConflict.
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }

// IsInvalid reports whether err is of class ErrInvalid.
func IsInvalid(err error) bool { return errors.Is(err, ErrInvalid) }

// IsThrottled reports whether err is of class ErrThrottled.
func IsThrottled(err error) bool { return errors.Is(err, ErrThrottled) }

// sentinel is a package's sentinel error in a class.
type sentinel struct {
	msg   string
	class error
}

func (e *sentinel) Error() string { return e.msg }
func (e *sentinel) Unwrap() error { return e.class }

// New returns a sentinel error with text msg that belongs to class:
// errors.Is matches both the sentinel and its class.
func New(class error, msg string) error { return &sentinel{msg: msg, class: class} }

// NotFoundError is a missing resource, named by its ARN. Err is the
// sentinel that says what kind of resource (of class ErrNotFound).
type NotFoundError struct {
	Err error
	ARN string
}

func (e *NotFoundError) Error() string { return e.Err.Error() + ": " + e.ARN }

// Unwrap returns the sentinel, and through it the class.
func (e *NotFoundError) Unwrap() error { return e.Err }

// ThrottleError is work refused by a concurrency limit, with Lambda's
// Reason (e.g. ReservedFunctionConcurrentInvocationLimitExceeded).
type ThrottleError struct {
	Reason string
}

func (e *ThrottleError) Error() string { return "throttled: " + e.Reason }

// Unwrap makes a ThrottleError of class ErrThrottled.
func (e *ThrottleError) Unwrap() error { return ErrThrottled }
