package errdefs

// Lambda's error types for an invocation that failed outside the
// function's own code, as the caller sees them in errorType and the REPORT
// line. A function's own errors keep the names it gave them.
const (
	RuntimeExitError         = "Runtime.ExitError"
	RuntimeOutOfMemory       = "Runtime.OutOfMemory"
	RuntimeUnknown           = "Runtime.Unknown"
	RuntimeInvalidEntrypoint = "Runtime.InvalidEntrypoint"
	RuntimeUnavailable       = "Runtime.Unavailable"
	SandboxTimedout          = "Sandbox.Timedout"
	FunctionResponseTooLarge = "Function.ResponseSizeTooLarge"
)
