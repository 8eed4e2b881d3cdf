package client

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
)

var (
	// ErrNoCredentials is returned by ResolveCredentials when no access key
	// pair is found.
	ErrNoCredentials = errors.New("no credentials")

	// ErrNoBootstrap is returned by CheckDir for a provided.* runtime whose
	// directory has no executable bootstrap.
	ErrNoBootstrap = errors.New("no executable bootstrap")

	// ErrUnsupportedFile is returned by Zip for a file that is neither a
	// regular file nor a directory (a device, a socket, a symbolic link to a
	// directory).
	ErrUnsupportedFile = errors.New("unsupported file type")

	// ErrMissingConfig is returned by Deploy when a function must be created
	// but the runtime or handler is missing.
	ErrMissingConfig = errors.New("runtime and handler are required to create a function")
)

// APIError is an error answer of Hearth's API, in Lambda's shape.
type APIError struct {
	Status  int    // HTTP status
	Type    string // Lambda's error type, e.g. ResourceNotFoundException
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("%s: %s", e.Type, e.Message) }

// ErrorCode returns the error type, as smithy.APIError does.
func (e *APIError) ErrorCode() string { return e.Type }

// ErrorMessage returns the message, as smithy.APIError does.
func (e *APIError) ErrorMessage() string { return e.Message }

// ErrorFault reports whether the server or the client is to blame.
func (e *APIError) ErrorFault() smithy.ErrorFault {
	if e.Status >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

var _ smithy.APIError = (*APIError)(nil)

// Describe renders err for a person: Lambda's error type and message when
// the API answered with an error, the error itself otherwise.
func Describe(err error) string {
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return ue.Error()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

// IsNotFound reports whether err is Lambda's ResourceNotFoundException.
func IsNotFound(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ResourceNotFoundException"
}
