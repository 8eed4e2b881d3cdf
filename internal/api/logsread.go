package api

import (
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/hearth-run/hearth/internal/logs"
)

// pageLimit checks a request's limit against CloudWatch's bounds.
func pageLimit(limit, max int) (int, error) {
	switch {
	case limit == 0:
		return max, nil
	case limit < 1 || limit > max:
		return 0, logsError("InvalidParameterException", "1 validation error detected: Value '"+strconv.Itoa(limit)+
			"' at 'limit' failed to satisfy constraint: Member must have value less than or equal to "+strconv.Itoa(max))
	}
	return limit, nil
}

// pageStart decodes a nextToken made by this API: a decimal index.
func pageStart(token string) (int, error) {
	if token == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(token)
	if err != nil || n < 0 {
		return 0, logsError("InvalidParameterException", "The specified nextToken is invalid.")
	}
	return n, nil
}

func (s *Server) describeLogGroups(body []byte) (any, error) {
	var in struct {
		LogGroupNamePrefix  string `json:"logGroupNamePrefix"`
		LogGroupNamePattern string `json:"logGroupNamePattern"`
		NextToken           string `json:"nextToken"`
		Limit               int    `json:"limit"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, logsError("SerializationException", err.Error())
	}
	limit, err := pageLimit(in.Limit, 50)
	if err != nil {
		return nil, err
	}
	start, err := pageStart(in.NextToken)
	if err != nil {
		return nil, err
	}
	groups, err := s.opts.LogGroups.Groups()
	if err != nil {
		return nil, err
	}
	out := struct {
		LogGroups []map[string]any `json:"logGroups"`
		NextToken string           `json:"nextToken,omitempty"`
	}{LogGroups: []map[string]any{}}
	i := 0
	for _, g := range groups {
		name := logGroupPrefix + g.Function
		if !strings.HasPrefix(name, in.LogGroupNamePrefix) || !strings.Contains(name, in.LogGroupNamePattern) {
			continue
		}
		if i++; i <= start {
			continue
		}
		if len(out.LogGroups) == limit {
			out.NextToken = strconv.Itoa(start + limit)
			break
		}
		arn := s.logGroupARN(g.Function)
		lg := map[string]any{"logGroupName": name, "creationTime": g.Created.UnixMilli(), "metricFilterCount": 0,
			"arn": arn + ":*", "logGroupArn": arn, "storedBytes": g.StoredBytes, "logGroupClass": "STANDARD"}
		if g.RetentionDays > 0 {
			lg["retentionInDays"] = g.RetentionDays
		}
		out.LogGroups = append(out.LogGroups, lg)
	}
	return out, nil
}

// logStream is CloudWatch's LogStream shape.
type logStream struct {
	LogStreamName       string `json:"logStreamName"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp int64  `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  int64  `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   int64  `json:"lastIngestionTime,omitempty"`
	UploadSequenceToken string `json:"uploadSequenceToken"`
	Arn                 string `json:"arn"`
	StoredBytes         int64  `json:"storedBytes"`
}

func (s *Server) describeLogStreams(body []byte) (any, error) {
	var in struct {
		LogGroupName, LogGroupIdentifier, LogStreamNamePrefix, OrderBy, NextToken string
		Descending                                                                bool
		Limit                                                                     int
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, logsError("SerializationException", err.Error())
	}
	fn, err := s.groupFunction(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if in.OrderBy == "LastEventTime" && in.LogStreamNamePrefix != "" {
		return nil, logsError("InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.")
	}
	limit, err := pageLimit(in.Limit, 50)
	if err != nil {
		return nil, err
	}
	start, err := pageStart(in.NextToken)
	if err != nil {
		return nil, err
	}
	streams, err := s.logStreams(fn, in.LogStreamNamePrefix)
	if err != nil {
		return nil, err
	}
	sortStreams(streams, in.OrderBy == "LastEventTime", in.Descending)
	out := struct {
		LogStreams []logStream `json:"logStreams"`
		NextToken  string      `json:"nextToken,omitempty"`
	}{}
	out.LogStreams, out.NextToken = page(streams, start, limit)
	return out, nil
}

// logStreams describes a function's streams whose names start with prefix.
func (s *Server) logStreams(fn, prefix string) ([]logStream, error) {
	details, err := s.opts.LogGroups.StreamDetails(fn)
	if err != nil {
		return nil, err
	}
	var streams []logStream
	for _, d := range details {
		if !strings.HasPrefix(d.Name, prefix) {
			continue
		}
		ls := logStream{LogStreamName: d.Name, CreationTime: d.FirstEvent.UnixMilli(), UploadSequenceToken: "1",
			Arn: s.logGroupARN(fn) + ":log-stream:" + d.Name, StoredBytes: d.Size}
		if !d.FirstEvent.IsZero() {
			ls.FirstEventTimestamp, ls.LastEventTimestamp, ls.LastIngestionTime = d.FirstEvent.UnixMilli(), d.LastEvent.UnixMilli(), d.LastWritten.UnixMilli()
		} else {
			ls.CreationTime = d.LastWritten.UnixMilli()
		}
		streams = append(streams, ls)
	}
	return streams, nil
}

// sortStreams orders streams by name or by last event time.
func sortStreams(streams []logStream, byTime, descending bool) {
	sort.SliceStable(streams, func(i, j int) bool {
		if byTime {
			return streams[i].LastEventTimestamp < streams[j].LastEventTimestamp
		}
		return streams[i].LogStreamName < streams[j].LogStreamName
	})
	if descending {
		for i, j := 0, len(streams)-1; i < j; i, j = i+1, j-1 {
			streams[i], streams[j] = streams[j], streams[i]
		}
	}
}

// page returns items[start:start+limit] (never nil) and the token of the
// next page, "" on the last.
func page[T any](items []T, start, limit int) ([]T, string) {
	if start >= len(items) {
		return []T{}, ""
	}
	end := min(start+limit, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next
}

// outputEvent is CloudWatch's OutputLogEvent and FilteredLogEvent shape.
type outputEvent struct {
	LogStreamName string `json:"logStreamName,omitempty"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId,omitempty"`
}

// inRange applies startTime (inclusive) and endTime (exclusive), in Unix
// milliseconds; 0 is no bound.
func inRange(ms, start, end int64) bool {
	return (start == 0 || ms >= start) && (end == 0 || ms < end)
}

func (s *Server) getLogEvents(body []byte) (any, error) {
	var in struct {
		LogGroupName, LogGroupIdentifier, LogStreamName, NextToken string
		StartTime, EndTime                                         int64
		Limit                                                      int
		StartFromHead                                              *bool
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, logsError("SerializationException", err.Error())
	}
	fn, err := s.groupFunction(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	limit, err := pageLimit(in.Limit, 10000)
	if err != nil {
		return nil, err
	}
	all, err := s.opts.LogGroups.Events(fn, in.LogStreamName)
	if errors.Is(err, logs.ErrNotFound) || errors.Is(err, logs.ErrInvalidName) {
		return nil, errNoLogStream
	}
	if err != nil {
		return nil, err
	}
	var events []outputEvent
	for _, e := range all {
		if ms := e.Time.UnixMilli(); inRange(ms, in.StartTime, in.EndTime) {
			events = append(events, outputEvent{Timestamp: ms, Message: e.Message, IngestionTime: ms})
		}
	}
	from, to, err := eventWindow(in.NextToken, in.StartFromHead != nil && *in.StartFromHead, limit, len(events))
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"events":            append([]outputEvent{}, events[from:to]...),
		"nextForwardToken":  "f/" + strconv.Itoa(to),
		"nextBackwardToken": "b/" + strconv.Itoa(from),
	}, nil
}

// eventWindow picks the events [from, to) of a GetLogEvents page: after a
// forward token f/N the limit from N on, before a backward token b/N the
// limit up to N; without a token the first (startFromHead) or last limit.
func eventWindow(token string, head bool, limit, n int) (from, to int, err error) {
	dir, pos := "", 0
	if token != "" {
		d, num, ok := strings.Cut(token, "/")
		p, perr := strconv.Atoi(num)
		if !ok || perr != nil || p < 0 || (d != "f" && d != "b") {
			return 0, 0, logsError("InvalidParameterException", "The specified nextToken is invalid.")
		}
		dir, pos = d, min(p, n)
	}
	switch {
	case dir == "f" || dir == "" && head:
		return pos, min(pos+limit, n), nil
	case dir == "b":
		return max(pos-limit, 0), pos, nil
	}
	return max(n-limit, 0), n, nil
}
