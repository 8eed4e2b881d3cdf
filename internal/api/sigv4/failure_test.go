package sigv4

import (
	"errors"
	"testing"
	"time"
)

func TestVerifyFailures(t *testing.T) {
	const target = "/2015-03-31/functions/my-fn/invocations?Qualifier=1"
	body := []byte(`{"x":1}`)
	headers := [][2]string{{"Content-Type", "application/json"}, {"X-Amz-Invocation-Type", "Event"}}
	good := sdkSigned(t, "POST", "http://"+testHost+target, headers, body, "lambda", testTime)
	r0, _ := good.parse(t)
	auth := r0.Header.Get("Authorization")
	date := testTime.Format(amzDateLayout)
	withAuth := func(a string) wire { return good.replace(t, auth, a) }
	scope := testAKID + "/20261125/us-east-1/lambda/aws4_request"
	sig := auth[len(auth)-64:]

	tests := []struct {
		name    string
		req     wire
		body    []byte // nil: the body on the wire
		lookup  bool   // false: the verifier knows no keys
		code    string
		message string
	}{
		{"no Authorization", good.dropHeader(t, "Authorization"), nil, true,
			CodeMissingAuthenticationToken, "Missing Authentication Token"},
		{"unknown access key", good, nil, false,
			CodeUnrecognizedClient, "The security token included in the request is invalid."},
		{"tampered body", good, []byte(`{"x":2}`), true, CodeInvalidSignature, msgSignatureMismatch},
		{"tampered header", good.replace(t, "X-Amz-Invocation-Type: Event", "X-Amz-Invocation-Type: DryRun"), nil, true,
			CodeInvalidSignature, msgSignatureMismatch},
		{"tampered path", good.replace(t, "my-fn", "my-fx"), nil, true, CodeInvalidSignature, msgSignatureMismatch},
		{"tampered query", good.replace(t, "Qualifier=1", "Qualifier=2"), nil, true, CodeInvalidSignature, msgSignatureMismatch},
		{"tampered method", good.replace(t, "POST ", "PUT "), nil, true, CodeInvalidSignature, msgSignatureMismatch},
		{"signed header removed", good.dropHeader(t, "Content-Type"), nil, true, CodeInvalidSignature, msgSignatureMismatch},
		{"wrong date", good.replace(t, "X-Amz-Date: "+date, "X-Amz-Date: 20261125T173128Z"), nil, true,
			CodeInvalidSignature, msgSignatureMismatch},
		{"wrong signature", withAuth(auth[:len(auth)-64] + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), nil, true,
			CodeInvalidSignature, msgSignatureMismatch},
		{"short signature", withAuth(auth[:len(auth)-1]), nil, true, CodeInvalidSignature, msgSignatureMismatch},
		{"content hash not the body's", good.replace(t, "X-Amz-Date:", "X-Amz-Content-Sha256: "+hashHex(nil)+"\r\nX-Amz-Date:"), nil, true,
			CodeInvalidSignature, msgSignatureMismatch},
		{"not key=value", withAuth("Bearer abc"), nil, true, CodeIncompleteSignature,
			"'abc' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer abc'"},
		{"missing parameters", withAuth("AWS4-HMAC-SHA256 Credential=" + scope), nil, true, CodeIncompleteSignature,
			"Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. " +
				"Authorization=AWS4-HMAC-SHA256 Credential=" + scope},
		{"missing X-Amz-Date", good.dropHeader(t, "X-Amz-Date"), nil, true, CodeIncompleteSignature,
			"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + auth},
		{"malformed X-Amz-Date", good.replace(t, "X-Amz-Date: "+date, "X-Amz-Date: 2026-11-25"), nil, true, CodeIncompleteSignature,
			"Date must be in ISO-8601 'basic format'. Got '2026-11-25'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{"host not signed", withAuth("AWS4-HMAC-SHA256 Credential=" + scope + ", SignedHeaders=x-amz-date, Signature=" + sig), nil, true,
			CodeInvalidSignature, "'Host' must be a 'SignedHeader' in the AWS Authorization."},
		{"other algorithm", withAuth("AWS4-HMAC-SHA512" + auth[len("AWS4-HMAC-SHA256"):]), nil, true, CodeIncompleteSignature,
			"Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). "},
		{"four-part credential", withAuth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/lambda, SignedHeaders=host;x-amz-date, Signature=" + sig),
			nil, true, CodeIncompleteSignature,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20261125/us-east-1/lambda'"},
		{"scope date and terminator", good.replace(t, "20261125/us-east-1/lambda/aws4_request", "20261124/us-east-1/lambda/aws5_request"), nil, true,
			CodeInvalidSignature,
			"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. " +
				"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261124' != '20261125', from '20261125T173127Z'."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := testVerifier(testTime)
			if !tt.lookup {
				v = New(Options{Now: func() time.Time { return testTime }})
			}
			r, body := tt.req.parse(t)
			if tt.body != nil {
				body = tt.body
			}
			_, err := v.Verify(r, body)
			wantError(t, err, tt.code, tt.message)
			if !errors.Is(err, &Error{Code: tt.code}) {
				t.Fatalf("errors.Is(%v, %s) = false", err, tt.code)
			}
		})
	}
}

func TestVerifySkew(t *testing.T) {
	w := sdkSigned(t, "GET", "http://"+testHost+"/2015-03-31/functions", nil, nil, "lambda", testTime)
	tests := []struct {
		name    string
		now     time.Time
		message string // empty: valid
	}{
		{"exact", testTime, ""},
		{"15 min late, just inside", testTime.Add(15 * time.Minute), ""},
		{"15 min early, just inside", testTime.Add(-15 * time.Minute), ""},
		{"just outside, expired", testTime.Add(15*time.Minute + time.Second),
			"Signature expired: 20261125T173127Z is now earlier than 20261125T173128Z (20261125T174628Z - 15 min.)"},
		{"far outside, expired", testTime.Add(time.Hour),
			"Signature expired: 20261125T173127Z is now earlier than 20261125T181627Z (20261125T183127Z - 15 min.)"},
		{"just outside, future", testTime.Add(-15*time.Minute - time.Second),
			"Signature not yet current: 20261125T173127Z is still later than 20261125T173126Z (20261125T171626Z + 15 min.)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := w.parse(t)
			_, err := testVerifier(tt.now).Verify(r, body)
			if tt.message == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantError(t, err, CodeInvalidSignature, tt.message)
		})
	}
}

func TestCheckService(t *testing.T) {
	id := Identity{AccessKeyID: testAKID, Region: "us-east-1", Service: "events"}
	if err := id.CheckService("events"); err != nil {
		t.Fatal(err)
	}
	wantError(t, id.CheckService("lambda"), CodeInvalidSignature, "Credential should be scoped to correct service: 'lambda'.")
}
