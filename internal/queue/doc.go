// Package queue is Hearth's asynchronous invocation queue: the internal queue
// Lambda keeps between an Event invocation's caller and the function.
//
// # Durability
//
// Enqueue returns only after the event is committed and fsynced to the
// embedded bbolt database, so an accepted event (HTTP 202) survives kill -9.
// Concurrent callers share fsyncs: the first caller to find no commit under way
// writes every event that is waiting, then hands the next group to one of the
// callers that arrived meanwhile (group commit without an added delay).
//
// # Delivery
//
// Delivery is at least once. An event is removed from the database only in the
// same transaction that records its outcome (and stores any destination
// record), so an event that was in flight when Hearth died runs again after a
// restart. Functions should tolerate duplicates, as on Lambda.
//
// # Lambda semantics
//
//   - A throttle (no capacity) or a system error is not an attempt: the event
//     returns to the head of its function's queue and the function's dispatch
//     pauses with a backoff that doubles from 1 s up to 5 min.
//   - A function error is retried MaximumRetryAttempts times (0-2, default 2),
//     after 1 min and then 2 min.
//   - An event older than MaximumEventAgeInSeconds (default 6 h) is not
//     invoked again; it takes the failure path with condition EventAgeExceeded.
//   - Failure path: an invocation record goes to the OnFailure destination and
//     the original event to the dead-letter target. Success path: an
//     invocation record goes to the OnSuccess destination. Both are delivered
//     by enqueueing an event for the target function, in the same transaction
//     that removes the source event.
//
// # Dispatch
//
// Dispatch is event driven: Enqueue and finished invocations wake the
// dispatcher, and a timer wakes it for the earliest retry or pause end. Each
// function's events are dispatched roughly in arrival order, at most
// ConfigSource.Concurrency at once when the function has reserved concurrency,
// and never more than Options.MaxInFlight across all functions.
package queue
