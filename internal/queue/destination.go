package queue

import (
	"encoding/json"
	"strings"

	"github.com/hearth-run/hearth/internal/function"
)

// invocationRecordJSON is the document Lambda sends to a destination.
type invocationRecordJSON struct {
	Version         string           `json:"version"`
	Timestamp       string           `json:"timestamp"`
	RequestContext  requestContext   `json:"requestContext"`
	RequestPayload  json.RawMessage  `json:"requestPayload"`
	ResponseContext *responseContext `json:"responseContext,omitempty"`
	ResponsePayload json.RawMessage  `json:"responsePayload,omitempty"`
}

type requestContext struct {
	RequestID              string `json:"requestId"`
	FunctionARN            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

type responseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// invocationRecord encodes the record of rec's outcome. out is nil when the
// event never ran to a result (then the record has no response).
func (q *Queue) invocationRecord(rec *record, condition string, invokes int, out *Outcome) []byte {
	doc := invocationRecordJSON{
		Version:   "1.0",
		Timestamp: q.opts.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		RequestContext: requestContext{
			RequestID:              rec.ID,
			FunctionARN:            q.opts.FunctionARN(rec.Function, rec.Qualifier),
			Condition:              condition,
			ApproximateInvokeCount: invokes,
		},
		RequestPayload: jsonOrString(rec.Payload),
	}
	if out != nil {
		version := out.ExecutedVersion
		if version == "" {
			version = "$LATEST"
		}
		doc.ResponseContext = &responseContext{StatusCode: 200, ExecutedVersion: version, FunctionError: out.FunctionError}
		doc.ResponsePayload = jsonOrString(out.Payload)
	}
	b, err := json.Marshal(doc)
	if err != nil { // cannot happen: every field is valid JSON
		panic("queue: encode invocation record: " + err.Error())
	}
	return b
}

// jsonOrString embeds a payload as JSON when it is JSON, else as a string;
// an empty payload is null.
func jsonOrString(p []byte) json.RawMessage {
	if len(p) == 0 {
		return json.RawMessage("null")
	}
	if json.Valid(p) {
		return json.RawMessage(p)
	}
	s, _ := json.Marshal(string(p)) // strings always encode
	return s
}

// parseTarget splits a destination into function name and qualifier. It
// accepts a Lambda function ARN (arn:PARTITION:lambda:REGION:ACCOUNT:
// function:NAME[:QUALIFIER]), NAME:QUALIFIER or NAME; other ARNs (SQS,
// SNS, EventBridge) are not function targets.
func parseTarget(target string) (name, qualifier string, ok bool) {
	if strings.HasPrefix(target, "arn:") {
		return function.ParseFunctionARN(target)
	}
	name, qualifier, _ = strings.Cut(target, ":")
	return name, qualifier, name != ""
}
