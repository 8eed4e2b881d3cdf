// Package logs keeps per-function log streams, the way Lambda keeps one
// CloudWatch log stream per execution environment, with Lambda's START, END
// and REPORT lines around each invocation.
//
// A Store holds one directory per function under Options.Dir and one file
// per stream in it. An environment creates its Stream, hands it to the
// bootstrap process as stdout and stderr (it is an io.Writer, safe for
// several writers), and marks each invocation with Start, End and Report.
// Tail returns the last 4 KB of the current or just-ended invocation, which
// is what Lambda returns in X-Amz-Log-Result for LogType=Tail.
//
// # File names
//
// Lambda's stream names ("2026/11/25/[$LATEST]0123abcd…") contain slashes
// and other characters unfit for a file name. Each byte outside
// [A-Za-z0-9._-] (and a leading dot) is written as %XX, and ".log" is
// appended; Streams decodes the names back. Function names must be Lambda
// function names: letters, digits, hyphens and underscores.
//
// # Durability
//
// Writes go to an in-memory buffer. It is written to the file (one write
// system call, no fsync) at every REPORT line, once it holds 64 KiB, after
// Options.FlushInterval when nothing else flushed it, and on Close. Data
// written to the file survives Hearth being killed (the kernel has it); what
// is still buffered at that moment — at most the output of the current
// invocation since its START, or FlushInterval of output between
// invocations — is lost. A machine crash can lose what the kernel had not
// written to disk yet.
//
// Concurrent writers are serialised per Write call: the bytes of one Write
// stay together, lines split across several Writes by different writers may
// interleave, as with any shared file descriptor. Rotation is not done.
//
// # Log groups and event times
//
// A function's directory is its log group (/aws/lambda/<function> in the
// CloudWatch Logs API); it outlives the function. Beside each stream file
// an index file records when its bytes were written (index.go), so that
// Events can give every line its own timestamp; group.json holds the
// group's creation time and retention policy. Expire removes the events
// older than the retention (a group's own, else Options.RetentionDays) by
// rewriting a stream from its first kept line, through a temporary file
// and a rename; RunRetention does so periodically. Options.Now is the
// clock of both, injectable for tests.
package logs
