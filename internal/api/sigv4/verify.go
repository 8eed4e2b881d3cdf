package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"
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

// CheckRegion returns AWS's error for a credential scoped to another region
// than the server's, or nil when the scope is right.
func (id Identity) CheckRegion(region string) error {
	if id.Region == region {
		return nil
	}
	return invalid("Credential should be scoped to a valid region, not '%s'.", quote(id.Region))
}

// Verifier checks SigV4 signatures. It is safe for concurrent use.
type Verifier struct {
	lookup  func(string) (string, bool)
	now     func() time.Time
	maxSkew time.Duration

	mu sync.RWMutex // guards keys
	// keys holds the last derived signing key per access key ID, with the
	// secret and scope it was derived for: a new day, scope or secret
	// replaces it, so a rotated secret takes effect at once. Entries are only
	// made for keys Lookup knows, at most maxCachedKeys.
	keys map[string]derivedKey
}

type derivedKey struct {
	secret string
	scope  scope
	pads   *pads
}

// New returns a Verifier with opts, defaults filled in.
func New(opts Options) *Verifier {
	v := &Verifier{lookup: opts.Lookup, now: opts.Now, maxSkew: opts.MaxSkew, keys: map[string]derivedKey{}}
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
// into body: Authenticate, then Finish with the body's hash.
func (v *Verifier) Verify(r *http.Request, body []byte) (Identity, error) {
	p, err := v.Authenticate(r)
	if err != nil {
		return Identity{}, err
	}
	return p.Finish(sha256.Sum256(body), int64(len(body)))
}

// Pending is a request whose head authenticates: its Authorization header
// (or presigned query), date, credential scope and access key are good.
// What remains is the signature, which covers the body: Finish checks it
// once the body has been read and hashed.
type Pending struct {
	v      *Verifier
	r      *http.Request
	req    signedRequest
	sc     scope
	secret string
}

// Identity is who the request claims to be signed by; it is proven only
// when Finish succeeds.
func (p *Pending) Identity() Identity {
	return Identity{AccessKeyID: p.sc.accessKeyID, Region: p.sc.region, Service: p.sc.service}
}

// Authenticate checks everything about r that does not need its body, in
// AWS's order: header syntax, date, skew, signed host, algorithm, credential
// scope, access key. It reads only r's head, so a caller can refuse a
// request before receiving a byte of its body. Errors are *Error with the
// code and message AWS would send.
func (v *Verifier) Authenticate(r *http.Request) (*Pending, error) {
	authz := headerValue(r.Header, "Authorization")
	if authz == "" {
		if q := wireQuery(r); strings.Contains(q, "X-Amz-Signature=") || strings.Contains(q, "X-Amz-Credential=") {
			return v.authenticatePresigned(r, q)
		}
		return nil, missingToken()
	}
	a, err := parseAuthorization(authz)
	if err != nil {
		return nil, err
	}
	t, rawDate, fromDate, err := requestTime(r.Header)
	if miss := a.missing(); miss != "" || rawDate == "" {
		if rawDate == "" {
			miss += missingDate
		}
		return nil, &Error{CodeIncompleteSignature, miss + "Authorization=" + quote(authz)}
	}
	if err != nil {
		return nil, err
	}
	now := v.now().UTC()
	if t.Before(now.Add(-v.maxSkew)) || t.After(now.Add(v.maxSkew)) {
		return nil, skewError(t, now, v.maxSkew)
	}
	req := signedRequest{auth: a, time: t, query: wireQuery(r), fromDate: fromDate}
	return v.check(r, &req)
}

// signedRequest is what the two ways of signing (header, query) share.
type signedRequest struct {
	auth     authorization
	time     time.Time
	query    string // raw query to sign, without X-Amz-Signature
	fromDate bool   // the time came from the Date header
	presign  bool
}

// check runs the checks after the date: signed headers, algorithm, scope
// and access key.
func (v *Verifier) check(r *http.Request, req *signedRequest) (*Pending, error) {
	a := req.auth
	if err := checkSignedHeaders(a.signedHeaders); err != nil {
		return nil, err
	}
	if !signsHeader(a.signedHeaders, "host") {
		return nil, invalid(msgHostNotSigned)
	}
	if a.algorithm != algorithm {
		return nil, incomplete("Unsupported AWS 'algorithm': '%s' (only AWS4-HMAC-SHA256 for now). ", quote(a.algorithm))
	}
	sc, err := parseScope(a.credential, req.time)
	if err != nil {
		return nil, err
	}
	secret, ok := v.lookup(sc.accessKeyID)
	if !ok {
		return nil, unknownKey()
	}
	return &Pending{v: v, r: r, req: *req, sc: sc, secret: secret}, nil
}

// unsignedPayload is the payload hash botocore presigns with.
var unsignedPayload = []byte("UNSIGNED-PAYLOAD")

// Finish checks the signature of the request, given the SHA-256 of its body
// and the body's length, and returns who signed it. It allocates nothing:
// hashes and signatures live in fixed arrays, the signing key's HMAC pads
// come from the Verifier's cache.
func (p *Pending) Finish(bodySum [sha256.Size]byte, bodyLen int64) (Identity, error) {
	var bodyHex, declaredHex [sha256.Size * 2]byte
	hex.Encode(bodyHex[:], bodySum[:])
	hashes := [2][]byte{bodyHex[:]}
	if declared := headerValue(p.r.Header, "X-Amz-Content-Sha256"); declared != "" {
		// The client's hash is what it signed; it must also be the body's,
		// or a tampered body would pass under an intact signature.
		if !strings.EqualFold(declared, string(bodyHex[:])) {
			return Identity{}, mismatch()
		}
		copy(declaredHex[:], declared)
		hashes[0] = declaredHex[:]
	} else if p.req.presign && bodyLen == 0 {
		// botocore presigns with UNSIGNED-PAYLOAD, aws-sdk-go-v2 with the hash
		// of the empty body; with no body there is nothing to protect.
		hashes[1] = unsignedPayload
	}
	k := p.v.signingKey(p.sc, p.secret)
	path := normalizePath(wirePath(p.r))
	var got [sha256.Size * 2]byte
	if len(p.req.auth.signature) != len(got) {
		return Identity{}, mismatch()
	}
	copy(got[:], p.req.auth.signature)
	for _, h := range hashes {
		if h == nil {
			continue
		}
		want := signWithKey(k, p.r, bodyLen, &p.req, p.sc, path, h)
		if hmac.Equal(want[:], got[:]) {
			return p.Identity(), nil
		}
	}
	return Identity{}, mismatch()
}

// maxCachedKeys bounds the signing keys the Verifier keeps: past it the
// cache starts over.
const maxCachedKeys = 4096

// signingKey returns the HMAC pads of a scope's derived key, from the
// cache when the secret and scope are those it was derived for.
func (v *Verifier) signingKey(sc scope, secret string) *pads {
	v.mu.RLock()
	dk, ok := v.keys[sc.accessKeyID]
	v.mu.RUnlock()
	if ok && dk.secret == secret && dk.scope == sc {
		return dk.pads
	}
	dk = derivedKey{secret: secret, scope: sc, pads: newPads(signingKey(secret, sc))}
	v.mu.Lock()
	if len(v.keys) >= maxCachedKeys {
		clear(v.keys)
	}
	v.keys[sc.accessKeyID] = dk
	v.mu.Unlock()
	return dk.pads
}

// RequireSigned returns AWS's error for a request whose signature does not
// cover header (given in canonical form, e.g. "X-Amz-Target"), which the
// service needs signed: otherwise a captured request could be replayed with
// the header swapped.
func (p *Pending) RequireSigned(header string) error {
	if signsHeader(p.req.auth.signedHeaders, strings.ToLower(header)) {
		return nil
	}
	return invalid("'%s' must be a 'SignedHeader' in the AWS Authorization.", header)
}
