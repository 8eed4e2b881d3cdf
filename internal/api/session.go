package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/hearth-run/hearth/internal/api/sigv4"
	"github.com/hearth-run/hearth/internal/credentials"
	"github.com/hearth-run/hearth/internal/function"
)

// Sessions checks the session credentials Hearth gives each execution
// environment (AWS_SESSION_TOKEN).
type Sessions interface {
	Check(accessKeyID, token string) (credentials.Session, error)
}

// sessionOps are the Lambda operations a function's session credential may call
// besides reading (Get*, List*): invoking.
var sessionOps = map[string]bool{"InvokeFunction": true, "InvokeWithResponseStream": true}

// sessionDenied are reading operations a session may not call: Hearth's
// own views of environments, metrics and logs.
var sessionDenied = map[string]bool{"ListEnvironments": true, "GetMetrics": true, "ReadLogs": true}

// authorize checks the session token of a request signed with a session
// key and whether the session may call op, as IAM would answer a
// function's execution role that may invoke functions and read their
// configuration. Requests signed with Hearth's own keys pass.
func (s *Server) authorize(r *http.Request, id sigv4.Identity, op string) error {
	if !credentials.IsSessionKey(id.AccessKeyID) {
		return nil
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if token == "" {
		token = r.URL.Query().Get("X-Amz-Security-Token")
	}
	invalid := errorf(http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid.")
	if s.opts.Sessions == nil || token == "" {
		return invalid
	}
	sess, err := s.opts.Sessions.Check(id.AccessKeyID, token)
	switch {
	case errors.Is(err, credentials.ErrTokenExpired):
		return errorf(http.StatusForbidden, "ExpiredTokenException", "The security token included in the request is expired")
	case err != nil:
		return invalid
	}
	name := functionName(r.PathValue("name"))
	if sessionAllows(op, name, sess.Function) {
		return nil
	}
	return s.accessDenied(op, name, sess.Function)
}

// sessionAllows reports whether a session of function may call op on the
// function called name: invoking and reading (Get*, List*), except
// Hearth's own views and another function's code (GetFunction answers
// with a download URL). Other services' operations are not granted.
func sessionAllows(op, name, function string) bool {
	if op == "GetFunction" && name != function {
		return false
	}
	return sessionOps[op] || (strings.HasPrefix(op, "Get") || strings.HasPrefix(op, "List")) && !sessionDenied[op]
}

// accessDenied is IAM's answer to a session calling what it may not.
func (s *Server) accessDenied(op, name, fn string) error {
	action := "lambda:" + op
	if service, target, ok := strings.Cut(op, ":"); ok {
		// EventBridge and CloudWatch Logs name operations by X-Amz-Target,
		// "AWSEvents.PutRule": the action is "events:PutRule".
		_, t, _ := strings.Cut(target, ".")
		action = service + ":" + t
	}
	resource := function.ARN(s.opts.Region, s.opts.Account, name)
	if name == "" {
		resource = "arn:aws:lambda:" + s.opts.Region + ":" + s.opts.Account + ":function:*"
	}
	return errorf(http.StatusForbidden, "AccessDeniedException",
		"User: arn:aws:sts::"+s.opts.Account+":assumed-role/hearth-function-"+fn+"/"+fn+
			" is not authorized to perform: "+action+" on resource: "+resource+
			" because no identity-based policy allows the "+action+" action")
}

// functionName extracts the function's name from a name, partial ARN or
// ARN, with or without a qualifier.
func functionName(s string) string {
	if i := strings.LastIndex(s, "function:"); i >= 0 {
		s = s[i+len("function:"):]
	}
	name, _, _ := strings.Cut(s, ":")
	return name
}
