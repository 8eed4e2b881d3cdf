package invoke

import (
	"strings"
	"time"

	"github.com/hearth-run/hearth/internal/function"
)

// activeTrace is the trace header of an invocation (traceID) with the
// function's TracingConfig applied: with Active tracing, a header Hearth
// made up is sampled, and so is a caller's that left the decision open.
func activeTrace(caller string, now time.Time, active bool) string {
	trace := traceID(caller, now)
	if !active {
		return trace
	}
	if caller == "" {
		return strings.Replace(trace, ";Sampled=0", ";Sampled=1", 1)
	}
	return function.TraceHeader(trace, true)
}
