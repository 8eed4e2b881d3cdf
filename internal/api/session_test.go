package api

import "testing"

func TestSessionAllows(t *testing.T) {
	for _, tt := range []struct {
		op, name string
		want     bool
	}{
		{"InvokeFunction", "other", true},
		{"GetFunctionConfiguration", "other", true},
		{"ListFunctions", "", true},
		{"ListVersionsByFunction", "other", true},
		{"GetFunction", "self", true},
		{"GetFunction", "other", false}, // another function's code
		{"CreateFunction", "new", false},
		{"UpdateFunctionCode", "self", false},
		{"DeleteFunction", "self", false},
		{"PutFunctionConcurrency", "self", false},
		{"ListEnvironments", "", false},
		{"ReadLogs", "self", false},
		{"events:AWSEvents.ListRules", "", false},
		{"logs:Logs_20140328.GetLogEvents", "", false},
	} {
		if got := sessionAllows(tt.op, tt.name, "self"); got != tt.want {
			t.Errorf("sessionAllows(%s, %s) = %v, want %v", tt.op, tt.name, got, tt.want)
		}
	}
	for in, want := range map[string]string{
		"fn": "fn", "fn:prod": "fn", "123456789012:function:fn": "fn",
		"arn:aws:lambda:us-east-1:123456789012:function:fn:3": "fn",
	} {
		if got := functionName(in); got != want {
			t.Errorf("functionName(%q) = %q, want %q", in, got, want)
		}
	}
}
