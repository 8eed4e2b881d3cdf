// Package sigv4 verifies AWS Signature Version 4 on requests to Hearth's
// Lambda and EventBridge compatible APIs.
//
// # How a signature is checked
//
// In two steps, so that a server can refuse a request before reading its
// body. Authenticate reads only the head: the client's Authorization header
// (or, for presigned URLs, its X-Amz-* query parameters) names the access
// key, the credential scope, the headers it signed and the signature; the
// syntax, the date window, the scope and the access key are checked there.
// Pending.Finish then takes the SHA-256 of the body, builds the canonical
// request from exactly the signed headers, the path as it came on the wire
// and the query, signs it with the stored secret at the client's date and
// compares the signatures in constant time.
//
// The canonical request is built by hand (manual.go), following the
// specification and the signers of AWS's SDKs; the tests hold it against
// aws-sdk-go-v2's signer and botocore on every kind of request, and a fuzz
// target does so on arbitrary paths, queries and header values.
//
// # Errors
//
// Every failure is an *Error carrying the code and message AWS sends in the
// same situation (MissingAuthenticationTokenException,
// IncompleteSignatureException, InvalidSignatureException,
// UnrecognizedClientException), all answered with HTTP 403. Messages repeat
// at most a short, printable prefix of what the client sent.
//
// # Cost
//
// Verification sits on the invoke path and faces unauthenticated clients,
// so its cost is linear in the size of the request's head: every signed
// header is found through the header map once, SignedHeaders is capped
// (128 names, 8 KiB), the canonical request is built in a pooled buffer,
// and the derived signing key is cached per access key (replaced when the
// day, scope or secret changes, so a rotated secret takes effect at once;
// at most 4096 keys) as its HMAC pads, so that the signature is two
// SHA-256 sums. Finish allocates nothing: hashes and signatures live in
// fixed arrays; Authenticate allocates the Pending.
package sigv4
