package runtimes

import "errors"

var (
	// ErrNoInterpreter is returned when no interpreter for a runtime family is
	// installed on the host.
	ErrNoInterpreter = errors.New("runtimes: interpreter not found")
	// ErrNoInterpreterFamily is returned when a family runs without an
	// interpreter (provided.*) or is unknown.
	ErrNoInterpreterFamily = errors.New("runtimes: family has no interpreter")
)
