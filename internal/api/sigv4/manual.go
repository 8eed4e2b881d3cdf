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
	return signWithKey(signingKey(secret, sc), r, int64(len(body)), req, sc, path, payloadHash)
}

// signWithKey is manualSignature with the signing key already derived.
// Its cost is linear in the size of the request's head: every signed header
// is found in the header map once (see headerIndex).
func signWithKey(key []byte, r *http.Request, bodyLen int64, req *signedRequest, sc scope, path, payloadHash string) string {
	bp := bufPool.Get().(*[]byte)
	b := canonicalRequest((*bp)[:0], r, bodyLen, req, path, payloadHash)
	canonicalSum := sha256.Sum256(b)
	b = b[:0]
	b = append(b, algorithm...)
	b = append(b, '\n')
	b = req.time.AppendFormat(b, amzDateLayout)
	b = append(b, '\n')
	b = appendScope(b, sc)
	b = append(b, '\n')
	b = hex.AppendEncode(b, canonicalSum[:])
	m := hmac.New(sha256.New, key)
	m.Write(b)
	var sum [sha256.Size]byte
	sig := hex.EncodeToString(m.Sum(sum[:0]))
	*bp = b[:0]
	bufPool.Put(bp)
	return sig
}

// canonicalRequest appends the canonical request of r to b.
func canonicalRequest(b []byte, r *http.Request, bodyLen int64, req *signedRequest, path, payloadHash string) []byte {
	b = append(b, r.Method...)
	b = append(b, '\n')
	b = appendEscapedPath(b, path)
	b = append(b, '\n')
	b = append(b, canonicalQuery(req.query, req.presign, req.auth.signedHeaders)...)
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
	if v, ok := x.h[textproto.CanonicalMIMEHeaderKey(lowerName)]; ok {
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
