package logs

import "errors"

var (
	// ErrInvalidName is returned for a function or stream name that cannot
	// be stored.
	ErrInvalidName = errors.New("logs: invalid name")

	// ErrNotFound is returned by Read for a stream that does not exist.
	ErrNotFound = errors.New("logs: stream not found")

	// ErrStreamOpen is returned by Create for a stream that is already open
	// in this Store.
	ErrStreamOpen = errors.New("logs: stream already open")

	// ErrClosed is returned by writes to a closed Stream.
	ErrClosed = errors.New("logs: stream closed")
)

var (
	// ErrUnsupportedPattern is returned by ParsePattern for JSON and
	// space-delimited filter patterns.
	ErrUnsupportedPattern = errors.New("logs: only plain-term filter patterns are supported")

	// ErrInvalidPattern is returned by ParsePattern for a pattern it cannot
	// read.
	ErrInvalidPattern = errors.New("logs: invalid filter pattern")
)
