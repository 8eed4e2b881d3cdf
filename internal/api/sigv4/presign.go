package sigv4

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxExpires is the longest validity a presigned request may claim: a week.
const maxExpires = 7 * 24 * time.Hour

const msgQueryParams = "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', " +
	"'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', and 'X-Amz-Expires'. Re-examine the query-string parameters."

// authenticatePresigned checks query-string authentication (a presigned
// URL). The request is valid from X-Amz-Date (less the allowed skew, for
// clocks that run behind) until X-Amz-Date plus X-Amz-Expires.
func (v *Verifier) authenticatePresigned(r *http.Request, rawQuery string) (*Pending, error) {
	q, _ := url.ParseQuery(rawQuery)
	get := func(k string) string {
		if vs := q[k]; len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	a := authorization{
		algorithm:        get("X-Amz-Algorithm"),
		credential:       get("X-Amz-Credential"),
		signedHeaders:    get("X-Amz-SignedHeaders"),
		signature:        get("X-Amz-Signature"),
		hasSignedHeaders: true,
	}
	rawDate, rawExpires := get("X-Amz-Date"), get("X-Amz-Expires")
	if a.algorithm == "" || a.credential == "" || a.signature == "" || a.signedHeaders == "" || rawDate == "" || rawExpires == "" {
		return nil, incomplete("%s", msgQueryParams)
	}
	t, err := time.Parse(amzDateLayout, rawDate)
	if err != nil {
		return nil, badDate(rawDate)
	}
	secs, err := strconv.ParseInt(rawExpires, 10, 64)
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > maxExpires {
		return nil, incomplete("X-Amz-Expires must be an integer number of seconds from 1 to 604800, got '%s'.", quote(rawExpires))
	}
	now := v.now().UTC()
	if t.After(now.Add(v.maxSkew)) {
		return nil, skewError(t, now, v.maxSkew)
	}
	if valid := time.Duration(secs) * time.Second; now.After(t.Add(valid)) {
		return nil, skewError(t, now, valid)
	}
	req := signedRequest{auth: a, time: t, query: withoutSignature(rawQuery), presign: true}
	return v.check(r, &req)
}

// withoutSignature drops X-Amz-Signature from a raw query, leaving every
// other pair as sent.
func withoutSignature(raw string) string {
	var kept []string
	for pair := range strings.SplitSeq(raw, "&") {
		if k, _, _ := strings.Cut(pair, "="); k != "X-Amz-Signature" {
			kept = append(kept, pair)
		}
	}
	return strings.Join(kept, "&")
}
