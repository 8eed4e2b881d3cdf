package sigv4

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Options configure a Verifier. The zero value of every field but Lookup is
// a sensible default.
type Options struct {
	// Lookup returns the secret access key of an access key ID. A nil Lookup
	// knows no keys, so every signed request is refused.
	Lookup func(accessKeyID string) (secret string, ok bool)

	// Now is the clock requests are checked against. Default time.Now.
	Now func() time.Time

	// MaxSkew is how far X-Amz-Date may lie from Now, either way.
	// Default 15 minutes, as on AWS.
	MaxSkew time.Duration
}

// Identity is who signed a verified request, and for which scope.
type Identity struct {
	AccessKeyID string
	Region      string
	Service     string
}

// CheckService returns AWS's error for a credential scoped to another service
// than the one the request was sent to, or nil when the scope is right.
// Verify cannot tell: the API that routed the request knows the service.
func (id Identity) CheckService(service string) error {
	if id.Service == service {
		return nil
	}
	return invalid("Credential should be scoped to correct service: '%s'.", service)
}

// Verifier checks SigV4 signatures. It is safe for concurrent use.
type Verifier struct {
	lookup  func(string) (string, bool)
	now     func() time.Time
	maxSkew time.Duration

	mu sync.RWMutex // guards signers
	// signers holds one SDK signer per access key ID. The SDK signer caches
	// derived keys by region and service only, so sharing one signer would
	// make keys evict each other; and a cached key survives a new secret for
	// the rest of the day, so an entry is replaced when the secret changes.
	// Entries are only made for keys Lookup knows, which bounds the map.
	signers map[string]*keySigner
}

type keySigner struct {
	secret string
	signer *v4.Signer
}

// New returns a Verifier with opts, defaults filled in.
func New(opts Options) *Verifier {
	v := &Verifier{lookup: opts.Lookup, now: opts.Now, maxSkew: opts.MaxSkew, signers: map[string]*keySigner{}}
	if v.lookup == nil {
		v.lookup = func(string) (string, bool) { return "", false }
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.maxSkew <= 0 {
		v.maxSkew = 15 * time.Minute
	}
	return v
}

// Verify checks the signature of r, whose body the caller has already read
// into body. It returns who signed the request, or an *Error with the code and
// message AWS would send. Checks run in AWS's order: header syntax, date,
// skew, signed host, algorithm, credential scope, access key, signature.
func (v *Verifier) Verify(r *http.Request, body []byte) (Identity, error) {
	authz := headerValue(r.Header, "Authorization")
	if authz == "" {
		if q := wireQuery(r); strings.Contains(q, "X-Amz-Signature=") || strings.Contains(q, "X-Amz-Credential=") {
			return v.verifyPresigned(r, body, q)
		}
		return Identity{}, missingToken()
	}
	a, err := parseAuthorization(authz)
	if err != nil {
		return Identity{}, err
	}
	t, rawDate, fromDate, err := requestTime(r.Header)
	if miss := a.missing(); miss != "" || rawDate == "" {
		if rawDate == "" {
			miss += missingDate
		}
		return Identity{}, &Error{CodeIncompleteSignature, miss + "Authorization=" + authz}
	}
	if err != nil {
		return Identity{}, err
	}
	now := v.now().UTC()
	if t.Before(now.Add(-v.maxSkew)) || t.After(now.Add(v.maxSkew)) {
		return Identity{}, skewError(t, now, v.maxSkew)
	}
	req := signedRequest{auth: a, time: t, query: wireQuery(r), fromDate: fromDate}
	return v.check(r, body, &req)
}

// signedRequest is what the two ways of signing (header, query) share.
type signedRequest struct {
	auth     authorization
	time     time.Time
	query    string // raw query to sign, without X-Amz-Signature
	fromDate bool   // the time came from the Date header
	presign  bool
}

// check runs the checks after the date: signed host, algorithm, scope,
// access key and finally the signature itself.
func (v *Verifier) check(r *http.Request, body []byte, req *signedRequest) (Identity, error) {
	a := req.auth
	if !signsHeader(a.signedHeaders, "host") {
		return Identity{}, invalid(msgHostNotSigned)
	}
	if a.algorithm != algorithm {
		return Identity{}, incomplete("Unsupported AWS 'algorithm': '%s' (only AWS4-HMAC-SHA256 for now). ", a.algorithm)
	}
	sc, err := parseScope(a.credential, req.time)
	if err != nil {
		return Identity{}, err
	}
	secret, ok := v.lookup(sc.accessKeyID)
	if !ok {
		return Identity{}, unknownKey()
	}
	id := Identity{AccessKeyID: sc.accessKeyID, Region: sc.region, Service: sc.service}

	var bodyHex [sha256.Size * 2]byte
	sum := sha256.Sum256(body)
	hex.Encode(bodyHex[:], sum[:])
	hashes := [2]string{string(bodyHex[:])}
	if declared := headerValue(r.Header, "X-Amz-Content-Sha256"); declared != "" {
		// The client's hash is what it signed; it must also be the body's,
		// or a tampered body would pass under an intact signature.
		if !strings.EqualFold(declared, hashes[0]) {
			return Identity{}, mismatch()
		}
		hashes[0] = declared
	} else if req.presign && len(body) == 0 {
		// botocore presigns with UNSIGNED-PAYLOAD, aws-sdk-go-v2 with the hash
		// of the empty body; with no body there is nothing to protect.
		hashes[1] = "UNSIGNED-PAYLOAD"
	}
	for _, h := range hashes {
		if h == "" {
			continue
		}
		want, ok := v.signature(r, body, req, sc, secret, h)
		if ok && subtle.ConstantTimeCompare([]byte(want), []byte(a.signature)) == 1 {
			return id, nil
		}
	}
	return Identity{}, mismatch()
}

// signer returns the SDK signer of an access key, making a new one when the
// key is new or its secret changed.
func (v *Verifier) signer(accessKeyID, secret string) *v4.Signer {
	v.mu.RLock()
	ks := v.signers[accessKeyID]
	v.mu.RUnlock()
	if ks != nil && ks.secret == secret {
		return ks.signer
	}
	ks = &keySigner{secret: secret, signer: v4.NewSigner()}
	v.mu.Lock()
	v.signers[accessKeyID] = ks
	v.mu.Unlock()
	return ks.signer
}
