// Package client is the client side of Hearth's own command line: it talks
// to a running Hearth over its Lambda-compatible API (through
// aws-sdk-go-v2's Lambda client) and over Hearth's own endpoints under
// /hearth/, signing every request with SigV4 for service "lambda".
//
// # Deterministic code packages
//
// Zip packs a directory so that the same tree always gives the same bytes,
// and so the same CodeSha256: entries are sorted, every time stamp is fixed
// and modes are reduced to 0755 (any execute bit) or 0644. Deploying an
// unchanged directory is therefore recognised as unchanged.
//
// # Credentials
//
// Credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, then from
// HEARTH_ACCESS_KEY_ID/HEARTH_SECRET_ACCESS_KEY, then from the
// credentials.json that `hearth serve` keeps in its data dir, so that on the
// server's machine the client needs no setup.
package client
