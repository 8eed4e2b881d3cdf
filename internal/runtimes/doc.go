// Package runtimes knows Hearth's managed runtimes and carries their
// bootstraps.
//
// Lambda runs python3.x and nodejs*.x functions with AWS's own runtime
// clients; Hearth runs them with its own small bootstrap programs, embedded
// in the binary, on the host's interpreters. The bootstraps speak the
// Runtime API (2018-06-01) exactly as AWS's clients do, so a function sees
// the same handler contract, context object, error documents and log format
// as on Lambda. provided.* runtimes need nothing from this package beyond
// the path of the function's own bootstrap.
//
// # Layout
//
// Install writes the bootstraps below a directory that the sandbox later
// mounts read-only at /var/runtime:
//
//	<dir>/python/bootstrap.py
//	<dir>/node/bootstrap.js
//
// # Cold start
//
// The bootstraps are written for start-up time: the Python one imports only
// C modules before loading the handler (no http.client, json or logging;
// logging is configured lazily on first import), the Node one uses the
// built-in http module with one keep-alive connection. Interpreter resolves
// the host interpreter once, skipping version-manager shims that cost about
// 100 ms per start.
package runtimes
