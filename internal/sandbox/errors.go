package sandbox

import "errors"

var (
	// ErrClosed is returned by Start after the Manager was closed.
	ErrClosed = errors.New("sandbox: manager closed")
	// ErrInvalidSpec is returned by Start for a Spec that cannot be run.
	ErrInvalidSpec = errors.New("sandbox: invalid spec")
	// ErrUnsupported is returned for a feature the current mode cannot provide,
	// e.g. Network "none" without isolation.
	ErrUnsupported = errors.New("sandbox: unsupported in this mode")
	// ErrInit is wrapped by Start when the sandbox init failed before the
	// bootstrap could be executed.
	ErrInit = errors.New("sandbox: init failed")
	// ErrFreezeTimeout is returned when a freeze or thaw did not complete.
	ErrFreezeTimeout = errors.New("sandbox: freezer timeout")
	// errRangeOverlap is a network range Hearth cannot use: not IPv4, too
	// small, or overlapping a route of the host.
	errRangeOverlap = errors.New("unusable network range")
)
