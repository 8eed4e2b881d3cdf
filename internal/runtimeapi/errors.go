package runtimeapi

import "errors"

var (
	// ErrBusy is returned by Invoke while another invocation is in flight:
	// an environment serves one request at a time.
	ErrBusy = errors.New("runtimeapi: an invocation is already in flight")

	// ErrClosed is returned by Invoke once the Server is closed.
	ErrClosed = errors.New("runtimeapi: server closed")
)
