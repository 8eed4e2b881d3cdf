package sigv4

import (
	"net/http"
	"strings"
	"time"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	terminator      = "aws4_request"
	amzDateLayout   = "20060102T150405Z"
	scopeDateLayout = "20060102"
)

// authorization is the parsed Authorization header (or presigned query).
type authorization struct {
	algorithm     string
	credential    string
	signedHeaders string // as the client sent it: lowercase names joined by ';'
	signature     string

	hasSignedHeaders bool // SignedHeaders was present, possibly empty
}

// scope is the parsed Credential value AKID/DATE/REGION/SERVICE/aws4_request.
type scope struct {
	accessKeyID, date, region, service string
}

// parseAuthorization splits "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=..." into its parts. Parameters may be separated by commas,
// whitespace or both, as AWS accepts; for a repeated key the last one wins.
func parseAuthorization(h string) (authorization, *Error) {
	var a authorization
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	a.algorithm = alg
	var haveSigned bool
	for rest != "" {
		var part string
		i := strings.IndexAny(rest, ", \t")
		if i < 0 {
			part, rest = rest, ""
		} else {
			part, rest = rest[:i], rest[i+1:]
		}
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return a, incomplete("'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'", quote(part), quote(h))
		}
		switch k {
		case "Credential":
			a.credential = v
		case "SignedHeaders":
			a.signedHeaders, haveSigned = v, true
		case "Signature":
			a.signature = v
		}
	}
	a.hasSignedHeaders = haveSigned
	return a, nil
}

// missing lists, in AWS's words and order, the parameters the header lacks.
func (a authorization) missing() string {
	var msg string
	if a.credential == "" {
		msg += "Authorization header requires 'Credential' parameter. "
	}
	if a.signature == "" {
		msg += "Authorization header requires 'Signature' parameter. "
	}
	if !a.hasSignedHeaders {
		msg += "Authorization header requires 'SignedHeaders' parameter. "
	}
	return msg
}

// missingDate is appended to the message of parseAuthorization, or stands
// alone, when the request has neither X-Amz-Date nor Date.
const missingDate = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "

// requestTime reads the signing time from X-Amz-Date, or from Date when the
// client used that instead. raw is the header value as sent; fromDate says
// the Date header was used.
func requestTime(h http.Header) (t time.Time, raw string, fromDate bool, err *Error) {
	if raw = headerValue(h, "X-Amz-Date"); raw != "" {
		t, perr := time.Parse(amzDateLayout, raw)
		if perr != nil {
			return t, raw, false, badDate(raw)
		}
		return t, raw, false, nil
	}
	if raw = headerValue(h, "Date"); raw != "" {
		t, perr := http.ParseTime(raw)
		if perr != nil {
			// botocore writes Date with a numeric zone: "..., 17:31:27 -0000".
			if t, perr = time.Parse(time.RFC1123Z, raw); perr != nil {
				return t, raw, true, badDate(raw)
			}
		}
		return t.UTC(), raw, true, nil
	}
	return time.Time{}, "", false, nil
}

func badDate(raw string) *Error {
	return incomplete("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", quote(raw))
}

// headerValue is h.Get for a key already in canonical form, without the
// canonicalisation cost.
func headerValue(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// parseScope checks the Credential value against the request time, with
// AWS's messages: a wrong element count is an incomplete signature, a wrong
// terminator or date an invalid one (both reported together, as AWS does).
func parseScope(credential string, t time.Time) (scope, *Error) {
	trimmed := strings.TrimRight(credential, "/")
	if strings.Count(trimmed, "/") != 4 {
		return scope{}, incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", quote(trimmed))
	}
	var parts [5]string
	rest := trimmed
	for i := range 4 {
		parts[i], rest, _ = strings.Cut(rest, "/")
	}
	parts[4] = rest
	s := scope{accessKeyID: parts[0], date: parts[1], region: parts[2], service: parts[3]}
	var problems []string
	if parts[4] != terminator {
		problems = append(problems, "Credential should be scoped with a valid terminator: 'aws4_request', not '"+quote(parts[4])+"'.")
	}
	var day [len(scopeDateLayout)]byte
	if want := t.AppendFormat(day[:0], scopeDateLayout); s.date != string(want) {
		problems = append(problems, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"+
			quote(s.date)+"' != '"+string(want)+"', from '"+t.Format(amzDateLayout)+"'.")
	}
	if s.region == "" {
		problems = append(problems, "Credential should be scoped to a valid region, not ''.")
	}
	if len(problems) > 0 {
		return s, &Error{CodeInvalidSignature, strings.Join(problems, " ")}
	}
	return s, nil
}

// signsHeader reports whether the ';'-separated list names header (lowercase).
func signsHeader(list, header string) bool {
	for list != "" {
		var name string
		name, list, _ = strings.Cut(list, ";")
		if strings.EqualFold(name, header) {
			return true
		}
	}
	return false
}

// Limits on SignedHeaders. Real clients sign a handful of headers; the caps
// keep a hostile list from costing more than a normal request.
const (
	maxSignedHeaders      = 128
	maxSignedHeadersBytes = 8 << 10
)

// checkSignedHeaders refuses a SignedHeaders list over the limits. It costs
// one pass over the list.
func checkSignedHeaders(list string) *Error {
	if len(list) > maxSignedHeadersBytes {
		return invalid("SignedHeaders is %d bytes long; at most %d are accepted.", len(list), maxSignedHeadersBytes)
	}
	if n := strings.Count(list, ";") + 1; n > maxSignedHeaders {
		return invalid("SignedHeaders names %d headers; at most %d are accepted.", n, maxSignedHeaders)
	}
	return nil
}

// maxQuoted is how much of a client's input an error message repeats.
const maxQuoted = 256

// quote is a short, printable prefix of client input for an error message:
// at most maxQuoted bytes, control and non-ASCII bytes replaced by '?', and
// "..." when cut.
func quote(s string) string {
	cut := len(s) > maxQuoted
	if cut {
		s = s[:maxQuoted]
	}
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			clean = false
			break
		}
	}
	if clean && !cut {
		return s
	}
	b := make([]byte, 0, len(s)+3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		b = append(b, c)
	}
	if cut {
		b = append(b, "..."...)
	}
	return string(b)
}
