// Package activity is Hearth's one internal source of operational events:
// an execution environment's Init (with the reason for it), each
// invocation's start and end (with its outcome and durations), freezing,
// an environment's end (with its reason), throttles and the outcomes of
// asynchronous events. The pool, the invoker and the async queue publish
// to a Bus; the metrics and the console read from it, so both tell the
// same story.
//
// # Guarantees
//
// Publish never blocks on a slow reader: handlers registered with Handle
// run synchronously and must be cheap (the metrics update counters);
// subscribers get events through a buffered channel and miss those that
// do not fit (Subscription.Missed counts them). The Bus keeps the last
// events (Options.History) so that a reader that arrives late can draw
// the recent past. A nil *Bus accepts and drops everything, so publishing
// code needs no checks.
package activity
