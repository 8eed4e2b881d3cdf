package logs

import (
	"encoding/json"
	"time"
)

// Lambda's advanced logging controls: with LogFormat JSON each platform
// line is one JSON object,
//
//	{"time":"2026-11-25T10:00:00.000Z","type":"platform.start","record":{"requestId":"…","version":"$LATEST"}}
//
// whose type and record follow the Telemetry API's platform events:
// platform.start for START, platform.runtimeDone for END,
// platform.report for REPORT and platform.initReport for INIT_REPORT.
const (
	TypeStart       = "platform.start"
	TypeRuntimeDone = "platform.runtimeDone"
	TypeReport      = "platform.report"
	TypeInitReport  = "platform.initReport"
)

// jsonLine is one platform line in JSON format.
type jsonLine struct {
	Time   string `json:"time"`
	Type   string `json:"type"`
	Record any    `json:"record"`
}

// appendJSONLine appends {"time","type","record"} and a newline.
func appendJSONLine(dst []byte, at time.Time, typ string, record any) []byte {
	b, err := json.Marshal(jsonLine{Time: at.UTC().Format("2006-01-02T15:04:05.000Z"), Type: typ, Record: record})
	if err != nil { // the records are plain maps and structs of strings and numbers
		return dst
	}
	dst = append(dst, b...)
	return append(dst, '\n')
}

// AppendStartJSON appends the platform.start line: record {requestId, version}.
func AppendStartJSON(dst []byte, at time.Time, requestID, version string) []byte {
	return appendJSONLine(dst, at, TypeStart, map[string]string{"requestId": requestID, "version": version})
}

// AppendRuntimeDoneJSON appends the platform.runtimeDone line, Lambda's END
// in JSON: record {requestId, status} with r's status word.
func AppendRuntimeDoneJSON(dst []byte, at time.Time, r Report) []byte {
	rec := map[string]string{"requestId": r.RequestID, "status": r.statusWord()}
	if r.Status != "" && r.ErrorType != "" {
		rec["errorType"] = r.ErrorType
	}
	return appendJSONLine(dst, at, TypeRuntimeDone, rec)
}

// AppendReportJSON appends the platform.report line,
//
//	{"time":…,"type":"platform.report","record":{"requestId":"…","metrics":{"durationMs":12.34,"billedDurationMs":13,"memorySizeMB":128,"maxMemoryUsedMB":35,"initDurationMs":120.45},"status":"success"}}
//
// with initDurationMs only on an environment's first invocation and
// errorType after a status "error".
func AppendReportJSON(dst []byte, at time.Time, r Report) []byte {
	metrics := map[string]any{
		"durationMs":       jsonMillis(r.Duration),
		"billedDurationMs": r.Billed().Milliseconds(),
		"memorySizeMB":     r.MemorySizeMB,
		"maxMemoryUsedMB":  r.MaxMemoryUsedMB,
	}
	if r.InitDuration > 0 {
		metrics["initDurationMs"] = jsonMillis(r.InitDuration)
	}
	rec := map[string]any{"requestId": r.RequestID, "metrics": metrics, "status": r.statusWord()}
	if r.Status != "" && r.ErrorType != "" {
		rec["errorType"] = r.ErrorType
	}
	return appendJSONLine(dst, at, TypeReport, rec)
}

// AppendInitReportJSON appends the platform.initReport line of a failed
// Init: record {initializationType, phase, status, errorType, metrics
// {durationMs}}.
func AppendInitReportJSON(dst []byte, at time.Time, r InitReport) []byte {
	typ := r.InitializationType
	if typ == "" {
		typ = "on-demand"
	}
	rec := map[string]any{"initializationType": typ, "phase": r.Phase, "status": r.Status,
		"metrics": map[string]any{"durationMs": jsonMillis(r.Duration)}}
	if r.ErrorType != "" {
		rec["errorType"] = r.ErrorType
	}
	return appendJSONLine(dst, at, TypeInitReport, rec)
}

// statusWord is the status of the JSON records: success, error or timeout.
func (r Report) statusWord() string {
	if r.Status == "" {
		return "success"
	}
	return r.Status
}

// jsonMillis is d in milliseconds with two decimals, as a number.
func jsonMillis(d time.Duration) float64 {
	return float64(d.Round(10*time.Microsecond).Microseconds()) / 1000
}
