package logs

import (
	"strconv"
	"time"
)

// Report is the content of Lambda's REPORT line for one invocation.
type Report struct {
	RequestID       string
	Duration        time.Duration // the invocation, as measured by Hearth
	MemorySizeMB    int           // configured memory
	MaxMemoryUsedMB int           // peak memory of the environment so far

	// InitDuration is printed only when non-zero: on an environment's first
	// invocation.
	InitDuration time.Duration

	// BillInit adds InitDuration to Billed Duration, as Lambda bills the
	// Init of custom runtimes (provided.*).
	BillInit bool

	// Status is "" for an invocation that completed (success or handled
	// function error), else Lambda's status word: "timeout" or "error".
	Status string

	// ErrorType goes with Status "error", e.g. "Runtime.ExitError" or
	// "Runtime.OutOfMemory"; ignored without a Status.
	ErrorType string
}

// Billed is the invocation's Billed Duration.
func (r Report) Billed() time.Duration {
	if r.BillInit {
		return BilledDuration(r.Duration + r.InitDuration)
	}
	return BilledDuration(r.Duration)
}

// BilledDuration is d rounded up to the next millisecond, at least 1 ms:
// Lambda's billing granularity.
func BilledDuration(d time.Duration) time.Duration {
	if d <= time.Millisecond {
		return time.Millisecond
	}
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}

// AppendStart appends "START RequestId: <id> Version: <version>\n".
func AppendStart(dst []byte, requestID, version string) []byte {
	dst = append(dst, "START RequestId: "...)
	dst = append(dst, requestID...)
	dst = append(dst, " Version: "...)
	dst = append(dst, version...)
	return append(dst, '\n')
}

// AppendEnd appends "END RequestId: <id>\n".
func AppendEnd(dst []byte, requestID string) []byte {
	dst = append(dst, "END RequestId: "...)
	dst = append(dst, requestID...)
	return append(dst, '\n')
}

// AppendReport appends Lambda's REPORT line: tab-separated fields, each
// followed by a tab on a completed invocation,
//
//	REPORT RequestId: <id>\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 35 MB\tInit Duration: 120.45 ms\t\n
//
// and ending with the status instead on a failed one:
//
//	...\tMax Memory Used: 35 MB\tStatus: timeout\n
//	...\tMax Memory Used: 35 MB\tStatus: error\tError Type: Runtime.ExitError\n
func AppendReport(dst []byte, r Report) []byte {
	dst = append(dst, "REPORT RequestId: "...)
	dst = append(dst, r.RequestID...)
	dst = append(dst, "\tDuration: "...)
	dst = appendMillis(dst, r.Duration)
	dst = append(dst, " ms\tBilled Duration: "...)
	dst = strconv.AppendInt(dst, r.Billed().Milliseconds(), 10)
	dst = append(dst, " ms\tMemory Size: "...)
	dst = strconv.AppendInt(dst, int64(r.MemorySizeMB), 10)
	dst = append(dst, " MB\tMax Memory Used: "...)
	dst = strconv.AppendInt(dst, int64(r.MaxMemoryUsedMB), 10)
	dst = append(dst, " MB\t"...)
	if r.InitDuration > 0 {
		dst = append(dst, "Init Duration: "...)
		dst = appendMillis(dst, r.InitDuration)
		dst = append(dst, " ms\t"...)
	}
	if r.Status != "" {
		dst = append(dst, "Status: "...)
		dst = append(dst, r.Status...)
		if r.ErrorType != "" {
			dst = append(dst, "\tError Type: "...)
			dst = append(dst, r.ErrorType...)
		}
	}
	return append(dst, '\n')
}

// AppendTimeout appends the line Lambda writes when an invocation runs out
// of time,
//
//	2026-11-25T10:00:03.012Z <id> Task timed out after 3.00 seconds\n
//
// with at in UTC to the millisecond and after in seconds to two decimals
// (Lambda prints the function's timeout, or the time actually elapsed).
func AppendTimeout(dst []byte, at time.Time, requestID string, after time.Duration) []byte {
	dst = at.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z")
	dst = append(dst, ' ')
	dst = append(dst, requestID...)
	dst = append(dst, " Task timed out after "...)
	dst = strconv.AppendFloat(dst, after.Seconds(), 'f', 2, 64)
	return append(dst, " seconds\n"...)
}

// appendMillis appends d in milliseconds with two decimals.
func appendMillis(dst []byte, d time.Duration) []byte {
	return strconv.AppendFloat(dst, float64(d)/float64(time.Millisecond), 'f', 2, 64)
}

// InitReport is the content of Lambda's INIT_REPORT line, written for an
// Init that failed.
type InitReport struct {
	Duration  time.Duration // the failed Init
	Phase     string        // "init", or "invoke" for the retry within an invocation
	Status    string        // "error" or "timeout"
	ErrorType string        // e.g. "Runtime.ExitError"

	// InitializationType is written in JSON format only: "on-demand"
	// (when empty) or "provisioned-concurrency".
	InitializationType string
}

// AppendInitReport appends Lambda's INIT_REPORT line,
//
//	INIT_REPORT Init Duration: 45.67 ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError\n
func AppendInitReport(dst []byte, r InitReport) []byte {
	dst = append(dst, "INIT_REPORT Init Duration: "...)
	dst = appendMillis(dst, r.Duration)
	dst = append(dst, " ms\tPhase: "...)
	dst = append(dst, r.Phase...)
	dst = append(dst, "\tStatus: "...)
	dst = append(dst, r.Status...)
	if r.ErrorType != "" {
		dst = append(dst, "\tError Type: "...)
		dst = append(dst, r.ErrorType...)
	}
	return append(dst, '\n')
}
