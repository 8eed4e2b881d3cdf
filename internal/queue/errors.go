package queue

import "errors"

var (
	// ErrFunctionGone is wrapped by an Invoker's error when the function (or
	// its qualifier) no longer exists. The event is dropped, not retried.
	ErrFunctionGone = errors.New("queue: function no longer exists")

	// ErrNoFunction is returned by Enqueue for an event without a function.
	ErrNoFunction = errors.New("queue: event has no function")

	// ErrRunning is returned by Run when another Run is already dispatching.
	ErrRunning = errors.New("queue: already running")

	// ErrNotFound is returned when a stored event is missing (removed by a
	// concurrent outcome).
	ErrNotFound = errors.New("queue: event not found")
)
