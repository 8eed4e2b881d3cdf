package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/hearth-run/hearth/internal/api/sigv4"
	"github.com/hearth-run/hearth/internal/logs"
)

// LogGroups is the part of the log store the CloudWatch Logs API reads and
// changes: one log group, /aws/lambda/<function>, per function.
type LogGroups interface {
	Groups() ([]logs.Group, error)
	Group(function string) (logs.Group, error)
	StreamDetails(function string) ([]logs.StreamDetail, error)
	Events(function, stream string) ([]logs.Event, error)
	PutRetention(function string, days int) error
	DeleteGroup(function string) error
	DeleteStream(function, stream string) error
}

var _ LogGroups = (*logs.Store)(nil)

// logsTargetPrefix marks a CloudWatch Logs request (JSON 1.1).
const logsTargetPrefix = "Logs_20140328."

// logGroupPrefix is the name of every function's log group but the name.
const logGroupPrefix = "/aws/lambda/"

// isLogsRequest reports whether r is a CloudWatch Logs API call.
func isLogsRequest(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("X-Amz-Target"), logsTargetPrefix)
}

// logsError is a CloudWatch Logs error: JSON 1.1's {"__type", "message"}.
func logsError(typ, msg string) *awsError {
	return errorf(http.StatusBadRequest, typ, msg)
}

var (
	errNoLogGroup  = logsError("ResourceNotFoundException", "The specified log group does not exist.")
	errNoLogStream = logsError("ResourceNotFoundException", "The specified log stream does not exist.")
)

// serveLogs answers a CloudWatch Logs API call, signed for service logs.
func (s *Server) serveLogs(w http.ResponseWriter, r *http.Request) {
	out, err := func() (any, error) {
		body, id, release, err := s.authenticateID(r, "logs", maxSmallRequest, "X-Amz-Target")
		defer release()
		if errors.Is(err, errBodyTooLarge) {
			return nil, logsError("InvalidParameterException", "request body too large")
		}
		if err == nil {
			err = s.authorize(r, id, "logs:"+r.Header.Get("X-Amz-Target"))
		}
		if err != nil {
			return nil, err
		}
		if s.opts.LogGroups == nil {
			return nil, logsError("UnknownOperationException", "the CloudWatch Logs API is not enabled on this server")
		}
		op := s.logsOps()[strings.TrimPrefix(r.Header.Get("X-Amz-Target"), logsTargetPrefix)]
		if op == nil {
			return nil, logsError("UnknownOperationException", "Unknown operation "+sanitize(r.Header.Get("X-Amz-Target")))
		}
		if len(strings.TrimSpace(string(body))) == 0 {
			body = []byte("{}")
		}
		return op(body)
	}()
	if err != nil {
		s.writeLogsError(w, r, err)
		return
	}
	b, _ := json.Marshal(out)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

func (s *Server) logsOps() map[string]func([]byte) (any, error) {
	return map[string]func([]byte) (any, error){
		"DescribeLogGroups":     s.describeLogGroups,
		"DescribeLogStreams":    s.describeLogStreams,
		"GetLogEvents":          s.getLogEvents,
		"FilterLogEvents":       s.filterLogEvents,
		"PutRetentionPolicy":    s.putRetentionPolicy,
		"DeleteRetentionPolicy": s.deleteRetentionPolicy,
		"DeleteLogGroup":        s.deleteLogGroup,
		"DeleteLogStream":       s.deleteLogStream,
	}
}

func (s *Server) writeLogsError(w http.ResponseWriter, r *http.Request, err error) {
	var se *sigv4.Error
	ae := &awsError{}
	switch {
	case errors.As(err, &se):
		ae = errorf(se.HTTPStatus(), se.Code, se.Message)
	case errors.As(err, &ae):
	case errors.Is(err, logs.ErrNotFound):
		ae = errNoLogGroup
	default:
		s.log.ErrorContext(r.Context(), "logs request failed", "request_id", requestID(w), "err", err)
		ae = errorf(http.StatusInternalServerError, "ServiceUnavailableException", "internal error (request id "+requestID(w)+")")
	}
	if len(ae.Msg) > maxMessage {
		ae.Msg = ae.Msg[:maxMessage] + "..."
	}
	b, _ := json.Marshal(map[string]string{"__type": ae.Type, "message": ae.Msg})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", ae.Type)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(ae.Status)
	_, _ = w.Write(b)
}

// groupFunction maps a log group name (or ARN) to its function.
func (s *Server) groupFunction(name, identifier string) (string, error) {
	if name == "" {
		name = identifier
	}
	if i := strings.Index(name, ":log-group:"); i >= 0 {
		name = strings.TrimSuffix(name[i+len(":log-group:"):], ":*")
	}
	if name == "" {
		return "", logsError("InvalidParameterException", "1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null")
	}
	fn, ok := strings.CutPrefix(name, logGroupPrefix)
	if !ok || fn == "" || strings.Contains(fn, "/") {
		return "", errNoLogGroup
	}
	if _, err := s.opts.LogGroups.Group(fn); err != nil {
		return "", errNoLogGroup
	}
	return fn, nil
}

func (s *Server) logGroupARN(fn string) string {
	return "arn:aws:logs:" + s.opts.Region + ":" + s.opts.Account + ":log-group:" + logGroupPrefix + fn
}

// validRetention is the set of retentionInDays CloudWatch Logs accepts.
var validRetention = map[int]bool{1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true, 90: true,
	120: true, 150: true, 180: true, 365: true, 400: true, 545: true, 731: true, 1096: true, 1827: true,
	2192: true, 2557: true, 2922: true, 3288: true, 3653: true}

func (s *Server) putRetentionPolicy(body []byte) (any, error) {
	var in struct {
		LogGroupName    string `json:"logGroupName"`
		RetentionInDays int    `json:"retentionInDays"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, logsError("SerializationException", err.Error())
	}
	if !validRetention[in.RetentionInDays] {
		return nil, logsError("InvalidParameterException", "1 validation error detected: Value '"+strconv.Itoa(in.RetentionInDays)+
			"' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]")
	}
	fn, err := s.groupFunction(in.LogGroupName, "")
	if err != nil {
		return nil, err
	}
	return struct{}{}, s.opts.LogGroups.PutRetention(fn, in.RetentionInDays)
}

func (s *Server) deleteRetentionPolicy(body []byte) (any, error) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, logsError("SerializationException", err.Error())
	}
	fn, err := s.groupFunction(in.LogGroupName, "")
	if err != nil {
		return nil, err
	}
	return struct{}{}, s.opts.LogGroups.PutRetention(fn, 0)
}

func (s *Server) deleteLogGroup(body []byte) (any, error) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, logsError("SerializationException", err.Error())
	}
	fn, err := s.groupFunction(in.LogGroupName, "")
	if err != nil {
		return nil, err
	}
	return struct{}{}, s.opts.LogGroups.DeleteGroup(fn)
}

func (s *Server) deleteLogStream(body []byte) (any, error) {
	var in struct {
		LogGroupName  string `json:"logGroupName"`
		LogStreamName string `json:"logStreamName"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, logsError("SerializationException", err.Error())
	}
	fn, err := s.groupFunction(in.LogGroupName, "")
	if err != nil {
		return nil, err
	}
	if err := s.opts.LogGroups.DeleteStream(fn, in.LogStreamName); err != nil {
		if errors.Is(err, logs.ErrNotFound) || errors.Is(err, logs.ErrInvalidName) {
			return nil, errNoLogStream
		}
		return nil, err
	}
	return struct{}{}, nil
}
