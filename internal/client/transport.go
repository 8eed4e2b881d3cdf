package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
)

// UnreachableError is a request that could not reach Hearth at all: no
// connection could be made to Endpoint.
type UnreachableError struct {
	Endpoint string
	Err      error
}

func (e *UnreachableError) Error() string {
	return "cannot reach Hearth at " + e.Endpoint + ": is `hearth serve` running at " + e.Endpoint + "? (" + e.Err.Error() + ")"
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// RetryableError tells the AWS SDK not to retry: a Hearth that is not
// listening will not be a moment later, and the person waiting should
// hear so at once.
func (e *UnreachableError) RetryableError() bool { return false }

// reachTransport turns a failure to connect into an *UnreachableError.
type reachTransport struct {
	base     http.RoundTripper
	endpoint string
}

func (t reachTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	var op *net.OpError
	if err != nil && errors.As(err, &op) && op.Op == "dial" {
		return nil, &UnreachableError{Endpoint: t.endpoint, Err: err}
	}
	return resp, err
}

// withReach returns a copy of hc whose transport reports unreachable
// endpoints as *UnreachableError.
func withReach(hc *http.Client, endpoint string) *http.Client {
	cp := *hc
	base := cp.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp.Transport = reachTransport{base: base, endpoint: endpoint}
	return &cp
}

// httpClient returns a client that trusts the authorities in the PEM file
// caBundle, beside the system's, or a plain one when caBundle is empty.
func httpClient(caBundle string) (*http.Client, error) {
	if caBundle == "" {
		return &http.Client{}, nil
	}
	pem, err := os.ReadFile(caBundle)
	if err != nil {
		return nil, fmt.Errorf("ca bundle: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca bundle %s: no PEM certificate in it", caBundle)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr}, nil
}
