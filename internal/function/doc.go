// Package function holds Hearth's domain types for Lambda functions: the
// configuration of a function version, qualifiers, ARNs and the validation
// rules Lambda applies to names, runtimes, memory, timeouts and environment
// variables.
//
// It is a leaf: it imports no other Hearth package. Validation failures are
// returned as *Error values that wrap one of the sentinels in errors.go, so
// that the api package alone decides which AWS error type and status code a
// failure becomes.
package function
