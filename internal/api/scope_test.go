package api

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"
)

// TestARNScope checks that ARNs naming another region or account than the
// server's are refused with Lambda's errors, not resolved to local
// functions of the same name.
func TestARNScope(t *testing.T) {
	s := newTestServer(t) // region us-east-1, account 000000000000
	zip := base64.StdEncoding.EncodeToString(smallZip(t))
	if rec := do(s, "POST", "/2015-03-31/functions", []byte(`{"FunctionName":"f","Runtime":"python3.12","Handler":"app.handler",`+
		`"Role":"arn:aws:iam::000000000000:role/r","Code":{"ZipFile":"`+zip+`"}}`)); rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	tests := []struct {
		name, method, path string
		status             int
		errType            string
	}{
		{"own ARN", "GET", "/2015-03-31/functions/" + url.PathEscape("arn:aws:lambda:us-east-1:000000000000:function:f"), 200, ""},
		{"own partial ARN", "GET", "/2015-03-31/functions/000000000000:f", 200, ""},
		{"other region", "GET", "/2015-03-31/functions/" + url.PathEscape("arn:aws:lambda:eu-west-1:000000000000:function:f"), 404, typeNotFound},
		{"other account", "GET", "/2015-03-31/functions/" + url.PathEscape("arn:aws:lambda:us-east-1:111111111111:function:f"), 403, "AccessDeniedException"},
		{"other account, partial", "POST", "/2015-03-31/functions/111111111111:f/invocations", 403, "AccessDeniedException"},
		{"other account, tags", "GET", "/2017-03-31/tags/" + url.PathEscape("arn:aws:lambda:us-east-1:111111111111:function:f"), 403, "AccessDeniedException"},
		{"other account, create", "POST", "/2015-03-31/functions", 403, "AccessDeniedException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			if tt.name == "other account, create" {
				body = []byte(`{"FunctionName":"arn:aws:lambda:us-east-1:111111111111:function:g","Runtime":"python3.12",` +
					`"Handler":"app.handler","Role":"arn:aws:iam::000000000000:role/r","Code":{"ZipFile":"` + zip + `"}}`)
			}
			rec := do(s, tt.method, tt.path, body)
			if rec.Code != tt.status || rec.Header().Get("X-Amzn-ErrorType") != tt.errType {
				t.Fatalf("answer %d %s %s, want %d %s", rec.Code, rec.Header().Get("X-Amzn-ErrorType"), rec.Body, tt.status, tt.errType)
			}
		})
	}
}
