package sigv4

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signature computes the signature the client should have sent, with the
// SDK signer when it can reproduce the client's canonical request and by
// hand (manual.go) when it cannot. ok is false when the request lacks a
// header the client signed, which no signature can match.
func (v *Verifier) signature(r *http.Request, body []byte, req *signedRequest, sc scope, secret, payloadHash string) (sig string, ok bool) {
	path := normalizePath(wirePath(r))
	h, length, viaSDK, ok := sdkHeaders(r, body, req)
	if !ok {
		return "", false
	}
	if !viaSDK {
		return manualSignature(r, body, req, sc, secret, path, payloadHash), true
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	out := &http.Request{
		Method: r.Method,
		// Opaque makes the signer take the path verbatim instead of
		// re-deriving it from a decoded form (see the SDK's package doc).
		URL:           &url.URL{Scheme: scheme, Opaque: "//" + host + path, RawQuery: req.query},
		Host:          host,
		Header:        h,
		ContentLength: length,
	}
	creds := aws.Credentials{AccessKeyID: sc.accessKeyID, SecretAccessKey: secret}
	signer := v.signer(sc.accessKeyID, secret)
	if req.presign {
		uri, _, err := signer.PresignHTTP(context.Background(), creds, out, payloadHash, sc.service, sc.region, req.time,
			func(o *v4.SignerOptions) { o.DisableHeaderHoisting = true })
		if err != nil {
			return "", false
		}
		return after(uri, "X-Amz-Signature="), true
	}
	if err := signer.SignHTTP(context.Background(), creds, out, payloadHash, sc.service, sc.region, req.time); err != nil {
		return "", false
	}
	return after(headerValue(h, "Authorization"), "Signature="), true
}

// after returns what follows the last marker in s.
func after(s, marker string) string {
	i := strings.LastIndex(s, marker)
	if i < 0 {
		return ""
	}
	return s[i+len(marker):]
}

// sdkHeaders builds the header map to hand to the SDK signer: exactly the
// headers the client signed, minus those the signer adds itself (host,
// x-amz-date, content-length). viaSDK is false when the SDK cannot reproduce
// the client's canonical request:
//
//   - a signed content-length that is not a positive length in plain decimal
//     (a client that sets Content-Length before signing signs
//     "content-length:0" on an empty body, botocore among them; the SDK signs
//     content-length only when ContentLength > 0);
//   - no signed x-amz-date (a client that dated the request with Date: the
//     SDK always adds and signs X-Amz-Date).
//
// Keys go into the map lowercase on purpose: the SDK skips User-Agent,
// Expect, X-Amzn-Trace-Id and Transfer-Encoding by their canonical spelling
// only, and clients with a shorter exclusion list sign user-agent.
func sdkHeaders(r *http.Request, body []byte, req *signedRequest) (h http.Header, length int64, viaSDK, ok bool) {
	list := req.auth.signedHeaders
	h = make(http.Header, strings.Count(list, ";")+2)
	viaSDK = !req.fromDate
	sawDate := false
	for list != "" {
		var name string
		name, list, _ = strings.Cut(list, ";")
		switch name {
		case "host":
		case "x-amz-date":
			sawDate = true
			if req.presign {
				// A presigned request dates itself in the query; a signed
				// X-Amz-Date header on top of that is left to the manual path.
				viaSDK = false
			}
		case "content-length":
			n, fits := sdkLength(contentLength(r, body))
			length, viaSDK = n, viaSDK && fits
		default:
			vals := lookupHeader(r, name)
			if vals == nil {
				return nil, 0, false, false
			}
			h[name] = vals
		}
	}
	if !sawDate && !req.presign {
		viaSDK = false
	}
	return h, length, viaSDK, true
}
