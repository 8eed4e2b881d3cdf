// Package sigv4 verifies AWS Signature Version 4 on requests to Hearth's
// Lambda and EventBridge compatible APIs.
//
// # How a signature is checked
//
// The client's Authorization header (or, for presigned URLs, its X-Amz-*
// query parameters) names the access key, the credential scope, the headers
// it signed and the signature. The verifier rebuilds a request that carries
// exactly those headers, the path as it came on the wire and the query, signs
// it with the stored secret at the client's X-Amz-Date using the v4 signer of
// aws-sdk-go-v2, and compares the two signatures in constant time. Computing
// the signature with the SDK keeps Hearth's canonical request identical to the
// one AWS's own clients build; the few requests the SDK signer cannot express
// (see manual.go) are canonicalised by hand.
//
// # Errors
//
// Every failure is an *Error carrying the code and message AWS sends in the
// same situation (MissingAuthenticationTokenException,
// IncompleteSignatureException, InvalidSignatureException,
// UnrecognizedClientException), all answered with HTTP 403.
//
// # Cost
//
// Verification sits on the invoke path. Derived signing keys are cached by the
// SDK signer, which Hearth keeps one of per access key so that keys never
// evict each other and a rotated secret takes effect at once.
package sigv4
