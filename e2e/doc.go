// Package e2e tests Hearth end to end: it builds the hearth binary, runs it
// as a real server on a temporary data dir, and drives it with real clients
// — aws-sdk-go-v2, boto3 and the AWS CLI — and real functions built with
// aws-lambda-go, Python and Node.js.
package e2e
