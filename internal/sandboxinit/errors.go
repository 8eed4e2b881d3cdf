package sandboxinit

import "errors"

var (
	// errArgs reports an argument list that is not a Prep's.
	errArgs = errors.New("sandbox init: malformed arguments")
	// errConfig reports an encoded Config that is cut short or malformed.
	errConfig = errors.New("sandbox init: malformed config")
	// errNotInit reports an init started outside the namespaces Hearth makes.
	errNotInit = errors.New("sandbox init: not the first process of a new PID namespace")
	// errNotFound reports a bootstrap that is on no directory of its PATH.
	errNotFound = errors.New("executable file not found in $PATH")
)
