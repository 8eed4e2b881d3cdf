package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// manualSignature canonicalises and signs a request by hand, following the
// SigV4 specification and the SDK signer's behaviour step for step. It is
// used only for the requests the SDK signer cannot reproduce (see
// sdkHeaders); the tests check it against the SDK on every other request.
// Unlike the SDK it writes the signed headers in the order the client listed
// them and takes each value from the request as sent.
func manualSignature(r *http.Request, body []byte, req *signedRequest, sc scope, secret, path, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(escapePath(path))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(req.query, req.presign, req.auth.signedHeaders))
	b.WriteByte('\n')
	for name := range strings.SplitSeq(req.auth.signedHeaders, ";") {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(manualHeaderValue(r, body, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(req.auth.signedHeaders)
	b.WriteByte('\n')
	b.WriteString(payloadHash)

	scopeStr := sc.date + "/" + sc.region + "/" + sc.service + "/" + terminator
	canonicalSum := sha256.Sum256([]byte(b.String()))
	toSign := algorithm + "\n" + req.time.Format(amzDateLayout) + "\n" + scopeStr + "\n" + hex.EncodeToString(canonicalSum[:])

	key := hmacSHA256([]byte("AWS4"+secret), sc.date)
	key = hmacSHA256(key, sc.region)
	key = hmacSHA256(key, sc.service)
	key = hmacSHA256(key, terminator)
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// manualHeaderValue is the canonical value of one signed header: values
// trimmed, runs of spaces collapsed, repeated headers joined with ','.
func manualHeaderValue(r *http.Request, body []byte, name string) string {
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
		return collapseSpaces(host)
	case "content-length":
		return collapseSpaces(contentLength(r, body))
	}
	vals := lookupHeader(r, name)
	cleaned := make([]string, len(vals))
	for i, v := range vals {
		cleaned[i] = collapseSpaces(v)
	}
	return strings.Join(cleaned, ",")
}

// collapseSpaces trims spaces at both ends and folds inner runs of spaces
// into one, as the SDK does (tabs are left alone, also as the SDK does).
func collapseSpaces(s string) string {
	s = strings.Trim(s, " ")
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
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
		b.WriteByte(s[i])
	}
	return b.String()
}

// canonicalQuery decodes the raw query and re-encodes it sorted by key, then
// value, with RFC 3986 escaping, as the SDK does. For a presigned request the
// X-Amz-SignedHeaders parameter is the one the client sent (the SDK rewrites
// it to the same value).
func canonicalQuery(raw string, presign bool, signedHeaders string) string {
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
func escapePath(p string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
