package runtimes

import "errors"

var (
	// ErrNoInterpreter is returned when no interpreter for a runtime family is
	// installed on the host.
	ErrNoInterpreter = errors.New("runtimes: interpreter not found")
	// ErrNoInterpreterFamily is returned when a family runs without an
	// interpreter (provided.*) or is unknown.
	ErrNoInterpreterFamily = errors.New("runtimes: family has no interpreter")
	// ErrUnknownRuntime is returned for a runtime name Hearth does not know.
	ErrUnknownRuntime = errors.New("runtimes: unknown runtime")
	// ErrBadFallback is returned for a fallback policy other than nearest
	// or refuse.
	ErrBadFallback = errors.New("runtimes: invalid fallback policy")
)
