package api

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
)

// invokePrefix and invokeSuffix frame the path of the request the front
// serves itself: POST /2015-03-31/functions/{name}/invocations.
const (
	invokePrefix = "/2015-03-31/functions/"
	invokeSuffix = "/invocations"
	// invokePattern is the route's pattern, as ServeMux would set it.
	invokePattern = "POST " + invokePrefix + "{name}" + invokeSuffix
)

// maxFrontHeaders is the most header fields a request served by the front
// may carry; one with more goes to net/http, whose limits apply.
const maxFrontHeaders = 64

// frontHead is an Invoke request's head as the front reads it: plain
// HTTP/1.1 with a fixed Content-Length. Its strings are slices of one copy
// of the head.
type frontHead struct {
	target string // request-target as sent: path and query
	path   string // path as sent, without the query
	query  string // raw query, without '?'
	name   string // {name} as sent (still escaped)
	host   string
	length int64
	// fields are the header fields but Host, in order, names canonical.
	fields []frontField
}

type frontField struct{ name, value string }

// isInvokeLine reports whether a request line (with its CRLF) could be an
// Invoke the front serves, before the head is copied.
func isInvokeLine(line []byte) bool {
	return bytes.HasPrefix(line, []byte("POST "+invokePrefix)) && bytes.HasSuffix(line, []byte(" HTTP/1.1\r\n"))
}

// parse reads head (request line and header fields through the blank line)
// and reports whether the front serves the request: anything it does not
// recognise as plain (folded or odd fields, a body that is chunked or
// expected with 100-continue, a connection to close or upgrade, a duplicate
// or missing Host or Content-Length, an unusual path; Connection other than
// keep-alive) goes to net/http,
// which decides.
func (h *frontHead) parse(head string, canon *canonicalizer) bool {
	line, rest, _ := strings.Cut(head, "\r\n")
	target, ok := strings.CutPrefix(line, "POST ")
	if !ok {
		return false
	}
	target, ok = strings.CutSuffix(target, " HTTP/1.1")
	if !ok || !h.parseTarget(target) {
		return false
	}
	h.fields, h.host, h.length = h.fields[:0], "", -1
	haveHost := false
	for len(rest) > 2 {
		line, rest, _ = strings.Cut(rest, "\r\n")
		name, value, ok := strings.Cut(line, ":")
		if !ok || !validFieldName(name) || !validFieldValue(value) || len(h.fields) == maxFrontHeaders {
			return false
		}
		value = strings.Trim(value, " \t")
		key := canon.key(name)
		switch key {
		case "Host":
			if haveHost || !validHost(value) {
				return false
			}
			h.host, haveHost = value, true
			continue
		case "Content-Length":
			if h.length >= 0 || !parseLength(value, &h.length) {
				return false
			}
		case "Connection":
			if !strings.EqualFold(value, "keep-alive") {
				return false
			}
		case "Transfer-Encoding", "Expect", "Upgrade", "Trailer", "Pragma", "Te":
			return false
		}
		for _, f := range h.fields {
			if f.name == key {
				return false // repeated: net/http joins them
			}
		}
		h.fields = append(h.fields, frontField{key, value})
	}
	return haveHost && h.length >= 0 && rest == "\r\n"
}

// parseTarget checks the request-target: the Invoke path, with one plain
// {name} segment, and an optional query of visible characters.
func (h *frontHead) parseTarget(target string) bool {
	path, query, _ := strings.Cut(target, "?")
	name, ok := strings.CutPrefix(path, invokePrefix)
	if !ok {
		return false
	}
	name, ok = strings.CutSuffix(name, invokeSuffix)
	if !ok || name == "" || name == "." || name == ".." || strings.IndexByte(name, '/') >= 0 {
		return false
	}
	for i := 0; i < len(path); i++ {
		if !pathByte(path[i]) {
			return false
		}
	}
	if strings.IndexByte(path, '%') >= 0 {
		if _, err := url.PathUnescape(path); err != nil {
			return false
		}
	}
	for i := 0; i < len(query); i++ {
		if c := query[i]; c <= ' ' || c >= 0x7f || c == '#' {
			return false
		}
	}
	h.target, h.path, h.query, h.name = target, path, query, name
	return true
}

// pathByte reports whether c may appear in a path the front takes: the
// bytes a URL keeps as they are (RFC 3986's unreserved and sub-delims,
// ':', '@', '/') and '%' of an escape, so that the path as sent is also
// the URL's escaped path.
func pathByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("-._~!$&'()*+,;=:@/%", c) >= 0
}

// parseLength reads a Content-Length of at most 10 digits.
func parseLength(v string, n *int64) bool {
	if v == "" || len(v) > 10 {
		return false
	}
	var x int64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
		x = x*10 + int64(v[i]-'0')
	}
	*n = x
	return true
}

// validFieldName accepts the names the front canonicalises exactly as
// net/textproto does: letters, digits, '-' and '_'.
func validFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validFieldValue refuses control characters other than tab.
func validFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// validHost accepts a plain host[:port]: letters, digits, '.', '-', '_',
// ':' and IPv6 brackets.
func validHost(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}

// canonicalizer turns header names into net/http's canonical keys, handing
// out the common ones without allocating.
type canonicalizer struct{ buf [64]byte }

// commonKeys are the header keys of the requests SDKs and the CLI send.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Host", "Content-Length", "Content-Type", "Authorization", "User-Agent",
		"Accept", "Accept-Encoding", "X-Amz-Date", "X-Amz-Content-Sha256", "X-Amz-Security-Token",
		"X-Amz-Invocation-Type", "X-Amz-Log-Type", "X-Amz-Client-Context", "X-Amzn-Trace-Id",
		"Amz-Sdk-Invocation-Id", "Amz-Sdk-Request", "X-Amz-User-Agent", "Transfer-Encoding", "Expect",
		"Connection", "Upgrade", "Trailer", "Pragma", "Te", "Date", "Content-Md5", "Content-Encoding"} {
		m[k] = k
	}
	return m
}()

// key is name's canonical form: each '-'-separated word capitalised.
func (c *canonicalizer) key(name string) string {
	if len(name) > len(c.buf) {
		return http.CanonicalHeaderKey(name)
	}
	b := c.buf[:len(name)]
	upper := true
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if upper && 'a' <= ch && ch <= 'z' {
			ch -= 'a' - 'A'
		} else if !upper && 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		b[i] = ch
		upper = ch == '-'
	}
	if k, ok := commonKeys[string(b)]; ok {
		return k
	}
	return string(b)
}
