package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-run/hearth/internal/api/sigv4"
	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/invoke"
)

// URLHandler serves function URLs only, routed by the Host header, for a
// dedicated listener (--url-listen) behind a reverse proxy.
func (s *Server) URLHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := urlHostID(r.Host)
		if id == "" || s.opts.URLs == nil {
			writeURLError(w, http.StatusForbidden, "AccessDeniedException", "")
			return
		}
		s.serveURL(w, r, id)
	})
}

// writeURLError answers a function URL request that did not reach the
// function, with the JSON body Lambda's URL endpoint sends ({"Message":
// ...}, null when Lambda gives no reason).
func writeURLError(w http.ResponseWriter, status int, typ, msg string) {
	body := []byte(`{"Message":null}`)
	if msg != "" {
		body, _ = json.Marshal(map[string]string{"Message": msg})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", typ)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// serveURL answers one request to the function URL with the given id.
func (s *Server) serveURL(w http.ResponseWriter, r *http.Request, id string) {
	cfg, err := s.opts.URLs.URLConfigByID(id)
	if err != nil {
		writeURLError(w, http.StatusForbidden, "AccessDeniedException", "")
		return
	}
	if cfg.Cors != nil && r.Method == http.MethodOptions && r.Header.Get("Origin") != "" &&
		r.Header.Get("Access-Control-Request-Method") != "" {
		preflight(w, r, cfg.Cors)
		return
	}
	body, caller, release, err := s.urlBody(r, cfg)
	defer release()
	if errors.Is(err, errBodyTooLarge) {
		writeURLError(w, http.StatusRequestEntityTooLarge, typeTooLarge, "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
		return
	}
	if err != nil {
		ae := s.toAWS(err)
		writeURLError(w, ae.Status, ae.Type, ae.Msg)
		return
	}
	extendDeadlines(w, "InvokeFunction")
	requestID := function.NewUUID()
	ev := newURLEvent(r, body, id, requestID, time.Now())
	if !s.authorizeURL(caller, cfg, ev) {
		writeURLError(w, http.StatusForbidden, "AccessDeniedException", "Forbidden")
		return
	}
	payload, _ := json.Marshal(ev)
	corsHeaders(w.Header(), r, cfg.Cors)
	w.Header().Set("X-Amzn-Requestid", requestID)
	req := &invoke.Request{Function: cfg.Function, Qualifier: cfg.PolicyQualifier(), Type: invoke.RequestResponse,
		Payload: payload, TraceID: r.Header.Get("X-Amzn-Trace-Id")}
	if cfg.InvokeMode == function.InvokeStreaming {
		s.streamURL(w, r, req)
		return
	}
	res, err := s.opts.Invoker.Invoke(r.Context(), req)
	s.writeURLResult(w, r, res, err)
}

// writeURLResult maps an invocation's outcome to the URL's answer:
// throttles are 429, function errors, timeouts and invalid answers 502.
func (s *Server) writeURLResult(w http.ResponseWriter, r *http.Request, res *InvokeResult, err error) {
	switch {
	case errdefs.IsThrottled(err):
		writeURLError(w, http.StatusTooManyRequests, typeTooMany, "Rate Exceeded.")
		return
	case err != nil:
		s.log.WarnContext(r.Context(), "function URL invocation failed", "err", err)
		writeURLError(w, http.StatusBadGateway, typeService, "Internal Server Error")
		return
	}
	if res.FunctionError != "" || !writeURLResponse(w, res.Payload) {
		writeURLError(w, http.StatusBadGateway, "InternalServerError", "Internal Server Error")
	}
}

// urlBody reads a function URL request's body: for AuthType AWS_IAM after
// authenticating its head (caller is who signed it), for NONE through the
// server's body budget alone.
func (s *Server) urlBody(r *http.Request, cfg *function.URLConfig) (body []byte, caller *sigv4.Identity, release func(), err error) {
	if cfg.AuthType != function.AuthIAM {
		if r.ContentLength > maxInvokeRequest {
			return nil, nil, func() {}, errBodyTooLarge
		}
		body, _, release, err = s.readBody(r, maxInvokeRequest)
		return body, nil, release, err
	}
	body, id, release, err := s.authenticateID(r, "lambda", maxInvokeRequest)
	var se *sigv4.Error
	if errors.As(err, &se) {
		return nil, nil, release, nil // refused by authorizeURL, as AWS does
	}
	return body, &id, release, err
}

// authorizeURL applies the URL's AuthType: NONE needs a resource policy
// that lets anyone invoke the URL; AWS_IAM needs a valid SigV4 signature
// for service lambda (caller, nil when there is none), and puts the caller
// into the event.
func (s *Server) authorizeURL(caller *sigv4.Identity, cfg *function.URLConfig, ev *urlEvent) bool {
	if cfg.AuthType == function.AuthIAM {
		if caller == nil {
			return false
		}
		id := *caller
		acct := s.opts.Account
		ev.RequestContext.AccountID = acct
		ev.RequestContext.Authorizer = &urlAuthorizer{IAM: urlIAM{
			AccessKey: id.AccessKeyID, AccountID: acct, CallerID: acct,
			UserArn: "arn:aws:iam::" + acct + ":root", UserID: acct,
		}}
		return true
	}
	if s.opts.Policies == nil {
		return false
	}
	p, err := s.opts.Policies.Policy(cfg.Function, cfg.PolicyQualifier())
	return err == nil && p.AllowsPublicURL()
}

// preflight answers a CORS preflight request from the URL's Cors
// configuration, without invoking the function.
func preflight(w http.ResponseWriter, r *http.Request, c *function.Cors) {
	h := w.Header()
	h.Set("Vary", "Origin")
	if origin := allowedOrigin(r, c); origin != "" && allowsMethod(c, r.Header.Get("Access-Control-Request-Method")) {
		h.Set("Access-Control-Allow-Origin", origin)
		if len(c.AllowMethods) > 0 {
			h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
		}
		if len(c.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
		}
		if c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if c.MaxAge > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
		}
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// corsHeaders adds the CORS headers of an actual (not preflight) request.
func corsHeaders(h http.Header, r *http.Request, c *function.Cors) {
	if c == nil || r.Header.Get("Origin") == "" {
		return
	}
	h.Set("Vary", "Origin")
	origin := allowedOrigin(r, c)
	if origin == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// allowedOrigin returns the Access-Control-Allow-Origin value for the
// request's Origin, or "" when the configuration does not allow it.
func allowedOrigin(r *http.Request, c *function.Cors) string {
	origin := r.Header.Get("Origin")
	for _, o := range c.AllowOrigins {
		switch {
		case o == "*" && !c.AllowCredentials:
			return "*"
		case o == "*" || strings.EqualFold(o, origin):
			return origin
		}
	}
	return ""
}

func allowsMethod(c *function.Cors, method string) bool {
	for _, m := range c.AllowMethods {
		if m == "*" || strings.EqualFold(m, method) {
			return true
		}
	}
	return false
}
