package api

import (
	"encoding/base64"
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// urlEvent is the event a function URL sends its function: Lambda's
// payload format version 2.0.
type urlEvent struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        urlRequestContext `json:"requestContext"`
	Body                  *string           `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type urlRequestContext struct {
	AccountID    string         `json:"accountId"`
	APIID        string         `json:"apiId"`
	Authorizer   *urlAuthorizer `json:"authorizer,omitempty"`
	DomainName   string         `json:"domainName"`
	DomainPrefix string         `json:"domainPrefix"`
	HTTP         urlHTTP        `json:"http"`
	RequestID    string         `json:"requestId"`
	RouteKey     string         `json:"routeKey"`
	Stage        string         `json:"stage"`
	Time         string         `json:"time"`
	TimeEpoch    int64          `json:"timeEpoch"`
}

type urlHTTP struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

type urlAuthorizer struct {
	IAM urlIAM `json:"iam"`
}

// urlIAM is the caller of an AWS_IAM function URL.
type urlIAM struct {
	AccessKey       string  `json:"accessKey"`
	AccountID       string  `json:"accountId"`
	CallerID        string  `json:"callerId"`
	CognitoIdentity *string `json:"cognitoIdentity"`
	PrincipalOrgID  *string `json:"principalOrgId"`
	UserArn         string  `json:"userArn"`
	UserID          string  `json:"userId"`
}

// newURLEvent turns an HTTP request into the 2.0 event. The Cookie header
// becomes the cookies list; other headers are lower-cased, several values
// joined with commas; a body that is not text is base64-encoded.
func newURLEvent(r *http.Request, body []byte, id, requestID string, now time.Time) *urlEvent {
	ev := &urlEvent{
		Version: "2.0", RouteKey: "$default", RawPath: r.URL.EscapedPath(), RawQueryString: r.URL.RawQuery,
		RequestContext: urlRequestContext{
			AccountID: "anonymous", APIID: id, DomainName: r.Host, DomainPrefix: id,
			HTTP:      urlHTTP{Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: sourceIP(r), UserAgent: r.UserAgent()},
			RequestID: requestID, RouteKey: "$default", Stage: "$default",
			Time: now.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
		},
	}
	if host, _, err := net.SplitHostPort(r.Host); err == nil {
		ev.RequestContext.DomainName = host
	}
	ev.Headers, ev.Cookies = eventHeaders(r)
	if q, err := url.ParseQuery(r.URL.RawQuery); err == nil && len(q) > 0 {
		ev.QueryStringParameters = make(map[string]string, len(q))
		for k, v := range q {
			ev.QueryStringParameters[k] = strings.Join(v, ",")
		}
	}
	if len(body) > 0 {
		s := string(body)
		if !textual(r.Header.Get("Content-Type")) || !utf8.Valid(body) {
			s, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
		ev.Body = &s
	}
	return ev
}

// eventHeaders lower-cases the request's headers, joins repeated ones
// with commas and splits the Cookie header into the cookies list. Like
// Lambda, it adds x-forwarded-for, -proto and -port unless a proxy in
// front set them.
func eventHeaders(r *http.Request) (map[string]string, []string) {
	headers := make(map[string]string, len(r.Header)+4)
	var cookies []string
	for name, values := range r.Header {
		lower := strings.ToLower(name)
		if lower != "cookie" {
			headers[lower] = strings.Join(values, ",")
			continue
		}
		for _, v := range values {
			for _, c := range strings.Split(v, ";") {
				if c = strings.TrimSpace(c); c != "" {
					cookies = append(cookies, c)
				}
			}
		}
	}
	headers["host"] = r.Host
	if headers["x-forwarded-for"] == "" {
		headers["x-forwarded-for"] = sourceIP(r)
	}
	if headers["x-forwarded-proto"] == "" {
		headers["x-forwarded-proto"] = "http"
		if r.TLS != nil {
			headers["x-forwarded-proto"] = "https"
		}
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && headers["x-forwarded-port"] == "" {
		if _, port, err := net.SplitHostPort(a.String()); err == nil {
			headers["x-forwarded-port"] = port
		}
	}
	return headers, cookies
}

// textual reports whether a content type is text that Lambda passes as is.
func textual(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "json") || strings.HasSuffix(mt, "xml") ||
		mt == "application/javascript" || mt == "application/x-www-form-urlencoded"
}

func sourceIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// urlResponse is a function's answer as Lambda reads it for a URL.
type urlResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Cookies         []string          `json:"cookies"`
	Body            *string           `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// writeURLResponse maps a function's payload to the HTTP response as
// Lambda does: an object with statusCode is taken field by field; any
// other JSON is a 200 application/json body as it is. It returns false
// when the payload is not a valid answer.
func writeURLResponse(w http.ResponseWriter, payload []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) != nil || probe["statusCode"] == nil {
		if !json.Valid(payload) {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(payload)
		return true
	}
	var resp urlResponse
	if json.Unmarshal(payload, &resp) != nil || resp.StatusCode < 100 || resp.StatusCode > 599 {
		return false
	}
	var body []byte
	if resp.Body != nil {
		body = []byte(*resp.Body)
		if resp.IsBase64Encoded {
			dec, err := base64.StdEncoding.DecodeString(*resp.Body)
			if err != nil {
				return false
			}
			body = dec
		}
	}
	applyResponseHead(w.Header(), resp.Headers, resp.Cookies)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
	return true
}

// applyResponseHead sets the function's headers (in a stable order),
// Content-Type application/json unless given, and one Set-Cookie per
// cookie.
func applyResponseHead(h http.Header, headers map[string]string, cookies []string) {
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if strings.EqualFold(k, "content-length") {
			continue
		}
		h.Set(k, headers[k])
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	for _, c := range cookies {
		h.Add("Set-Cookie", c)
	}
}
