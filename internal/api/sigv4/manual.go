package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// bufPool holds the buffers canonical requests are built in, so that the
// invoke path allocates none of its own.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// manualSignature canonicalises and signs a request by hand, following the
// SigV4 specification and the SDK signer's behaviour step for step; the
// tests hold it against the SDK signer and botocore. It writes the signed
// headers in the order the client listed them and takes each value from the
// request as sent.
func manualSignature(r *http.Request, body []byte, req *signedRequest, sc scope, secret, path, payloadHash string) string {
	sig := signWithKey(newPads(signingKey(secret, sc)), r, int64(len(body)), req, sc, path, []byte(payloadHash))
	return string(sig[:])
}

// pads are a signing key's HMAC-SHA256 inner and outer key blocks,
// computed once per derived key: HMAC(k, m) = H(opad || H(ipad || m)).
type pads struct {
	inner, outer [sha256.BlockSize]byte
}

func newPads(key []byte) *pads {
	p := &pads{}
	copy(p.inner[:], key) // a derived key is 32 bytes, within one block
	copy(p.outer[:], key)
	for i := range p.inner {
		p.inner[i] ^= 0x36
		p.outer[i] ^= 0x5c
	}
	return p
}

// signWithKey is manualSignature with the signing key's pads already
// computed; it returns the signature in lowercase hex. It allocates
// nothing of its own: the canonical request and the string to sign are
// built in a pooled buffer, hashed in one piece, and the HMAC is two
// SHA-256 sums over the pads. Its cost is linear in the size of the
// request's head: every signed header is found in the header map once (see
// headerIndex).
func signWithKey(k *pads, r *http.Request, bodyLen int64, req *signedRequest, sc scope, path string, payloadHash []byte) (sig [2 * sha256.Size]byte) {
	bp := bufPool.Get().(*[]byte)
	b := canonicalRequest((*bp)[:0], r, bodyLen, req, path, payloadHash)
	canonicalSum := sha256.Sum256(b)
	b = append(b[:0], k.inner[:]...)
	b = append(b, algorithm...)
	b = append(b, '\n')
	b = req.time.AppendFormat(b, amzDateLayout)
	b = append(b, '\n')
	b = appendScope(b, sc)
	b = append(b, '\n')
	b = hex.AppendEncode(b, canonicalSum[:])
	innerSum := sha256.Sum256(b)
	var outer [sha256.BlockSize + sha256.Size]byte
	copy(outer[:], k.outer[:])
	copy(outer[sha256.BlockSize:], innerSum[:])
	mac := sha256.Sum256(outer[:])
	hex.Encode(sig[:], mac[:])
	*bp = b[:0]
	bufPool.Put(bp)
	return sig
}

// canonicalRequest appends the canonical request of r to b.
func canonicalRequest(b []byte, r *http.Request, bodyLen int64, req *signedRequest, path string, payloadHash []byte) []byte {
	b = append(b, r.Method...)
	b = append(b, '\n')
	b = appendEscapedPath(b, path)
	b = append(b, '\n')
	if q, ok := appendPlainQuery(b, req.query, req.presign); ok {
		b = q
	} else {
		b = append(b, canonicalQuery(req.query, req.presign, req.auth.signedHeaders)...)
	}
	b = append(b, '\n')
	idx := headerIndex{h: r.Header}
	for name := range strings.SplitSeq(req.auth.signedHeaders, ";") {
		b = append(b, name...)
		b = append(b, ':')
		b = appendHeaderValue(b, r, &idx, bodyLen, name)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	b = append(b, req.auth.signedHeaders...)
	b = append(b, '\n')
	return append(b, payloadHash...)
}

func appendScope(b []byte, sc scope) []byte {
	b = append(b, sc.date...)
	b = append(b, '/')
	b = append(b, sc.region...)
	b = append(b, '/')
	b = append(b, sc.service...)
	b = append(b, '/')
	return append(b, terminator...)
}

// signingKey derives the key of a scope from the secret.
func signingKey(secret string, sc scope) []byte {
	key := hmacSHA256([]byte("AWS4"+secret), sc.date)
	key = hmacSHA256(key, sc.region)
	key = hmacSHA256(key, sc.service)
	return hmacSHA256(key, terminator)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// headerIndex finds the values of signed headers. net/http stores header
// keys in canonical form, so a lowercase name is looked up directly by its
// canonical spelling; only when that misses (a key net/http left as sent)
// is a lowercase map of every header built, once per request. Either way a
// lookup costs O(1), so canonicalisation is linear in the request's head.
type headerIndex struct {
	h     http.Header
	lower map[string][]string // built on the first miss
}

func (x *headerIndex) values(lowerName string) []string {
	var buf [64]byte
	if key, ok := canonicalKey(buf[:0], lowerName); ok {
		if v, ok := x.h[string(key)]; ok { // string(key) does not allocate here
			return v
		}
	} else if v, ok := x.h[textproto.CanonicalMIMEHeaderKey(lowerName)]; ok {
		return v
	}
	if x.lower == nil {
		x.lower = make(map[string][]string, len(x.h))
		for k, v := range x.h {
			l := strings.ToLower(k)
			x.lower[l] = append(x.lower[l], v...)
		}
	}
	return x.lower[lowerName]
}

// canonicalKey appends the canonical form of a header name made of
// letters, digits and '-' (as textproto.CanonicalMIMEHeaderKey would
// return it) to b, or reports false for any other name or one longer than
// b's capacity.
func canonicalKey(b []byte, name string) ([]byte, bool) {
	if name == "" || len(name) > cap(b) {
		return nil, false
	}
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z':
			if upper {
				c -= 'a' - 'A'
			}
		case 'A' <= c && c <= 'Z':
			if !upper {
				c += 'a' - 'A'
			}
		case '0' <= c && c <= '9', c == '-':
		default:
			return nil, false
		}
		b = append(b, c)
		upper = c == '-'
	}
	return b, true
}

// appendHeaderValue appends the canonical value of one signed header: values
// trimmed, runs of spaces collapsed, repeated headers joined with ','.
func appendHeaderValue(b []byte, r *http.Request, idx *headerIndex, bodyLen int64, name string) []byte {
	switch name {
	case "host":
		host := r.Host
		if host == "" {
			host = r.URL.Host
		}
		// Like the SDK (and botocore), drop the scheme's default port.
		if r.TLS == nil {
			host = strings.TrimSuffix(host, ":80")
		} else {
			host = strings.TrimSuffix(host, ":443")
		}
		return appendCollapsed(b, host)
	case "content-length":
		return appendCollapsed(b, contentLength(r, bodyLen))
	}
	vals := idx.values(name)
	if vals == nil && name == "transfer-encoding" && len(r.TransferEncoding) > 0 {
		// net/http moves Transfer-Encoding out of the header map.
		vals = []string{strings.Join(r.TransferEncoding, ",")}
	}
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCollapsed(b, v)
	}
	return b
}

// appendCollapsed appends s with spaces trimmed at both ends and inner runs
// of spaces folded into one, as the SDK does (tabs are left alone, also as
// the SDK does).
func appendCollapsed(b []byte, s string) []byte {
	s = strings.Trim(s, " ")
	space := false
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b = append(b, s[i])
	}
	return b
}

// canonicalQuery decodes the raw query and re-encodes it sorted by key, then
// value, with RFC 3986 escaping, as the SDK does. For a presigned request the
// X-Amz-SignedHeaders parameter is the one the client sent (the SDK rewrites
// it to the same value).
func canonicalQuery(raw string, presign bool, signedHeaders string) string {
	if raw == "" && !presign {
		return ""
	}
	values, _ := url.ParseQuery(raw) // pairs that fail to parse are dropped, as by url.URL.Query
	if presign {
		values.Set("X-Amz-SignedHeaders", signedHeaders)
	}
	type pair struct{ k, v string }
	var pairs []pair
	for k, vs := range values {
		for _, v := range vs {
			pairs = append(pairs, pair{escapeQuery(k), escapeQuery(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// maxPlainPairs is how many query pairs appendPlainQuery sorts on the stack.
const maxPlainPairs = 8

// appendPlainQuery appends the canonical form of a query of a few pairs
// made only of unreserved characters (Invoke's ?Qualifier=prod), which
// decoding and re-encoding leave as they are: the pairs sorted. It reports
// false for any other query, which canonicalQuery handles.
func appendPlainQuery(b []byte, raw string, presign bool) ([]byte, bool) {
	if presign {
		return b, false
	}
	var pairs [maxPlainPairs][2]string
	n := 0
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if n == len(pairs) || !unreserved(k) || !unreserved(v) {
			return b, false
		}
		p := [2]string{k, v}
		i := n
		for ; i > 0 && (pairs[i-1][0] > k || pairs[i-1][0] == k && pairs[i-1][1] > v); i-- {
			pairs[i] = pairs[i-1]
		}
		pairs[i] = p
		n++
	}
	for i, p := range pairs[:n] {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, p[0]...)
		b = append(b, '=')
		b = append(b, p[1]...)
	}
	return b, true
}

// unreserved reports whether s holds only RFC 3986's unreserved characters.
func unreserved(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

func escapeQuery(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// escapePath percent-encodes every byte but the RFC 3986 unreserved ones and
// '/', with uppercase hex: the path as sent is escaped once more, so a
// client's %3A becomes %253A.
func escapePath(p string) string { return string(appendEscapedPath(nil, p)) }

func appendEscapedPath(b []byte, p string) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(p); i++ {
		c := p[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '/' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

// contentLength is the value of the Content-Length header as sent, or the
// one net/http derived when the header is not in the map.
func contentLength(r *http.Request, bodyLen int64) string {
	if v := headerValue(r.Header, "Content-Length"); v != "" {
		return v
	}
	if r.ContentLength >= 0 {
		return strconv.FormatInt(r.ContentLength, 10)
	}
	return strconv.FormatInt(bodyLen, 10)
}
