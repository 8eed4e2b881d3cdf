// Package runtimeapi serves the Lambda Runtime API (version 2018-06-01) for
// one execution environment.
//
// A Server listens on the address given to the bootstrap process in
// AWS_LAMBDA_RUNTIME_API. The runtime long-polls GET
// /2018-06-01/runtime/invocation/next, runs the handler and posts the outcome
// to .../invocation/{id}/response or .../invocation/{id}/error. Hearth's side
// calls Server.Invoke, which hands the invocation to that long poll and waits
// for the outcome. Runtime clients built against AWS's runtime (aws-lambda-go,
// the Python and Node runtime interface clients) work unchanged.
//
// # Wire behaviour
//
// Paths, headers, status codes and error bodies follow Lambda and its Runtime
// Interface Emulator:
//
//   - GET .../invocation/next answers 200 with the payload and the headers
//     Lambda-Runtime-Aws-Request-Id, Lambda-Runtime-Deadline-Ms,
//     Lambda-Runtime-Invoked-Function-Arn, Lambda-Runtime-Trace-Id and, when
//     set, Lambda-Runtime-Client-Context and Lambda-Runtime-Cognito-Identity.
//     The first GET marks the end of the runtime's init; Server.Ready is
//     closed once every extension has asked for its first event too.
//   - POST .../invocation/{id}/response and .../error answer 202
//     {"status":"OK"}. An id that is not the invocation in flight (unknown,
//     stale, already answered) gets 400 InvalidRequestID. A response larger
//     than Options.MaxResponseBytes gets 413 RequestEntityTooLarge and the
//     caller gets a Function.ResponseSizeTooLarge result.
//   - POST .../init/error answers 202 during init and 403
//     InvalidStateTransition afterwards, as Lambda does.
//   - Errors sent to the runtime are JSON {"errorMessage":…,"errorType":…}.
//     Unknown paths get 404, known paths with the wrong method 405.
//
// # Re-delivery
//
// An invocation stays current until the runtime posts its outcome or the
// caller of Invoke gives up. Every GET .../next made while it is current gets
// it again, as in Lambda, where a runtime that asks for the next event before
// answering the current one is handed the current one. This also means a
// runtime whose long poll was cut (a disconnect, a write to a dead
// connection) does not lose the invocation: its next GET receives it.
//
// # Cost
//
// A warm invocation costs the /next response write — by Invoke itself, to a
// GET that waits, so that no goroutine is woken for it — and the /response
// read, both on the runtime's connection served without net/http's server
// (conn.go); headers are written into the header map with
// pre-canonicalised keys, and no goroutine is started per invocation.
//
// # End of an invocation
//
// Invoke returns when the runtime posts its outcome, so the caller is
// answered at once; the invocation ends (AwaitNext) when the runtime asks
// for its next event and every extension has asked for its next one, which
// is when Lambda freezes the environment.
//
// # Extensions API (2020-01-01)
//
// POST /2020-01-01/extension/register (Lambda-Extension-Name, body
// {"events":["INVOKE","SHUTDOWN"]}) answers 200 with a
// Lambda-Extension-Identifier and the function's name, version and
// handler; GET .../event/next hands out INVOKE and SHUTDOWN events;
// POST .../init/error fails Init, .../exit/error marks the extension gone.
// Extensions named in Options.ExternalExtensions (the executables in
// /opt/extensions) are external, any other is internal, as Lambda tells
// them apart. Init ends when the runtime and every extension have asked for
// work. Shutdown hands out SHUTDOWN and waits until the extensions have
// taken it and hung up.
//
// # Telemetry API (2022-07-01, schema 2022-12-13)
//
// PUT /2022-07-01/telemetry subscribes a registered extension's HTTP
// listener to "platform", "function" and "extension" events, with Lambda's
// buffering limits (maxItems 1,000–10,000, maxBytes 256 KiB–1 MiB,
// timeoutMs 25–30,000). Events since the start of Init are delivered too.
// The Server emits platform.initStart, platform.initRuntimeDone,
// platform.initReport, platform.start and platform.runtimeDone itself; its
// owner emits platform.report (Emit) and passes the environment's output
// (Write), whose lines become "function" events. A subscriber's
// sandbox.localdomain is the environment's loopback, reached through
// Options.Dial. Shutdown delivers what is queued before SHUTDOWN.
//
// # Not implemented
//
// The older Logs API (2020-08-15) and the restore (SnapStart) API are not
// served. The output of extensions cannot be told from the function's, so
// all of it is "function" events; "extension" events are never emitted.
//
// # Response streaming
//
// A /response posted with Lambda-Runtime-Function-Response-Mode: streaming
// (chunked, errors in the trailers Lambda-Runtime-Function-Error-Type and
// Lambda-Runtime-Function-Error-Body) is forwarded read by read to the
// Invocation's Stream, up to MaxStreamedBytes (20 MiB, Lambda's limit).
// Without a Stream it is buffered like any response.
package runtimeapi
