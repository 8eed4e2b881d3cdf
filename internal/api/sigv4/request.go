package sigv4

import (
	"net/http"
	"strings"
)

// wirePath is the request path exactly as the client sent it, before any
// unescaping. Clients differ here: aws-sdk-go-v2 and botocore send a function
// ARN as arn%3Aaws%3Alambda..., others may send the colons raw, and both
// sign the path as sent (escaped once more). Taking the path from the raw
// request line, not from the decoded URL, keeps either form intact.
func wirePath(r *http.Request) string {
	p := r.RequestURI
	if p == "" || p == "*" {
		return r.URL.EscapedPath()
	}
	if p[0] != '/' {
		// Absolute form, "http://host/path?query": drop scheme and authority.
		if i := strings.Index(p, "://"); i >= 0 {
			p = p[i+3:]
			if j := strings.IndexByte(p, '/'); j >= 0 {
				p = p[j:]
			} else {
				p = "/"
			}
		}
	}
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// wireQuery is the raw query string as sent.
func wireQuery(r *http.Request) string {
	if i := strings.IndexByte(r.RequestURI, '?'); i >= 0 {
		return r.RequestURI[i+1:]
	}
	return r.URL.RawQuery
}

// normalizePath removes empty, "." and ".." segments the way botocore and
// the JavaScript SDK do before signing (and AWS does before verifying) for
// every service but S3. aws-sdk-go-v2 does not normalise, but it never sends
// such paths for Lambda or EventBridge, so both agree on real traffic.
func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	if !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
		return p
	}
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	var b strings.Builder
	if p[0] == '/' {
		b.WriteByte('/')
	}
	b.WriteString(strings.Join(out, "/"))
	if p[len(p)-1] == '/' && len(out) > 0 {
		b.WriteByte('/')
	}
	return b.String()
}
