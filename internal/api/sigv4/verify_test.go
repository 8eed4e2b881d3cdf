package sigv4

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

const arnPath = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn/invocations"

func TestVerifySDKSigned(t *testing.T) {
	big := bytes.Repeat([]byte(`{"k":"0123456789abcdef"}`), 6<<20/24)
	json := [][2]string{{"Content-Type", "application/json"}}
	tests := []struct {
		name    string
		method  string
		url     string
		headers [][2]string
		body    []byte
		service string
	}{
		{"invoke by name", "POST", "/2015-03-31/functions/my-fn/invocations", json, []byte(`{"x":1}`), "lambda"},
		{"invoke by escaped ARN", "POST", arnPath, json, []byte(`{"x":1}`), "lambda"},
		{"invoke by raw ARN", "POST", "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:my-fn/invocations", nil, []byte(`{}`), "lambda"},
		{"invoke with qualifier", "POST", arnPath + "?Qualifier=%24LATEST", [][2]string{
			{"X-Amz-Invocation-Type", "RequestResponse"}, {"X-Amz-Log-Type", "Tail"}}, []byte(`"hi"`), "lambda"},
		{"empty body", "POST", "/2015-03-31/functions/my-fn/invocations", nil, nil, "lambda"},
		{"6 MB body", "POST", "/2015-03-31/functions/my-fn/invocations", json, big, "lambda"},
		{"get with query", "GET", "/2015-03-31/functions/?MaxItems=10&Marker=a%20b%2Bc%2F%3D&FunctionVersion=ALL", nil, nil, "lambda"},
		{"repeated query keys", "GET", "/2015-03-31/functions?b=2&a=3&a=1&c", nil, nil, "lambda"},
		{"delete", "DELETE", "/2015-03-31/functions/my-fn?Qualifier=1", nil, nil, "lambda"},
		{"put", "PUT", "/2015-03-31/functions/my-fn/configuration", json, []byte(`{"Timeout":3}`), "lambda"},
		{"repeated and spaced header values", "POST", "/2015-03-31/functions/my-fn/invocations", [][2]string{
			{"X-Custom", "a   b  c "}, {"X-Multi", "one"}, {"X-Multi", " two"}, {"X-Amz-Client-Context", "e30="}}, []byte(`{}`), "lambda"},
		{"signed user-agent is kept", "POST", "/", [][2]string{{"X-Amz-Target", "AWSEvents.PutEvents"},
			{"Content-Type", "application/x-amz-json-1.1"}, {"User-Agent", "hearth-test/1.0"}}, []byte(`{"Entries":[]}`), "events"},
		{"eventbridge", "POST", "/", [][2]string{{"X-Amz-Target", "AWSEvents.PutEvents"},
			{"Content-Type", "application/x-amz-json-1.1"}}, []byte(`{"Entries":[{"Source":"a"}]}`), "events"},
	}
	v := testVerifier(testTime)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := sdkSigned(t, tt.method, "http://"+testHost+tt.url, tt.headers, tt.body, tt.service, testTime)
			r, body := w.parse(t)
			id, err := v.Verify(r, body)
			if err != nil {
				t.Fatalf("Verify: %v\n%s", err, head(w))
			}
			want := Identity{AccessKeyID: testAKID, Region: "us-east-1", Service: tt.service}
			if id != want {
				t.Fatalf("identity = %+v, want %+v", id, want)
			}
			if err := id.CheckService(tt.service); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// head is the request without a long body, for failure messages.
func head(w wire) string {
	if i := bytes.Index(w, []byte("\r\n\r\n")); i >= 0 {
		return string(w[:i])
	}
	return string(w)
}

// captureClient records the requests an SDK client sends, answering none.
type captureClient struct{ wires []wire }

var errCaptured = errors.New("captured")

func (c *captureClient) Do(r *http.Request) (*http.Response, error) {
	body := []byte{}
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		return nil, err
	}
	c.wires = append(c.wires, buf.Bytes())
	return nil, errCaptured
}

// TestVerifySDKClients replays requests made by the real Lambda and
// EventBridge clients of aws-sdk-go-v2, as Hearth's users send them.
func TestVerifySDKClients(t *testing.T) {
	capture := &captureClient{}
	cfg := aws.Config{
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider(testAKID, testSecret, ""),
		HTTPClient:   capture,
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
		BaseEndpoint: aws.String("http://" + testHost),
	}
	ctx := context.Background()
	lc := lambda.NewFromConfig(cfg)
	ec := eventbridge.NewFromConfig(cfg)
	calls := []struct {
		name    string
		service string
		call    func() error
	}{
		{"Invoke ARN with qualifier", "lambda", func() error {
			_, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("arn:aws:lambda:eu-west-1:123456789012:function:my-fn"),
				Qualifier: aws.String("$LATEST"), Payload: []byte(`{"x":1}`), LogType: lambdatypes.LogTypeTail})
			return err
		}},
		{"Invoke empty payload", "lambda", func() error {
			_, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("my-fn:prod")})
			return err
		}},
		{"ListFunctions", "lambda", func() error {
			_, err := lc.ListFunctions(ctx, &lambda.ListFunctionsInput{Marker: aws.String("a b+c/="), MaxItems: aws.Int32(5)})
			return err
		}},
		{"PutEvents", "events", func() error {
			_, err := ec.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
				{Source: aws.String("app"), DetailType: aws.String("t"), Detail: aws.String(`{"a":1}`)}}})
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			capture.wires = nil
			if err := c.call(); !errors.Is(err, errCaptured) {
				t.Fatalf("call: %v", err)
			}
			w := capture.wires[0]
			r, body := w.parse(t)
			// The SDK dates the request with the real clock.
			v := testVerifier(time.Now())
			id, err := v.Verify(r, body)
			if err != nil {
				t.Fatalf("Verify: %v\n%s", err, head(w))
			}
			if id.Service != c.service || id.Region != "eu-west-1" {
				t.Fatalf("identity = %+v", id)
			}
		})
	}
}

// TestManualMatchesSDK checks the hand-written canonicalisation, used only
// where the SDK signer cannot follow a client, against the SDK everywhere.
func TestManualMatchesSDK(t *testing.T) {
	targets := []string{
		arnPath + "?Qualifier=%24LATEST",
		"/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f/invocations",
		"/2015-03-31/functions/?MaxItems=10&Marker=a%20b%2Bc%2F%3D&x&b=2&b=1",
		"/",
		"/a%2Fb/%7Euser/caf%C3%A9",
	}
	for _, target := range targets {
		w := sdkSigned(t, "POST", "http://"+testHost+target, [][2]string{{"X-Custom", " a  b "}, {"X-Multi", "1"}, {"X-Multi", "2"}},
			[]byte("body"), "lambda", testTime)
		r, body := w.parse(t)
		a, _ := parseAuthorization(r.Header.Get("Authorization"))
		sc, _ := parseScope(a.credential, testTime)
		req := &signedRequest{auth: a, time: testTime, query: wireQuery(r)}
		got := manualSignature(r, body, req, sc, testSecret, normalizePath(wirePath(r)), hashHex(body))
		if got != a.signature {
			t.Errorf("%s: manual signature %s, SDK %s", target, got, a.signature)
		}
	}
}

func TestVerifyEdgeClients(t *testing.T) {
	v := testVerifier(testTime)
	creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	t.Run("content-length 0 signed", func(t *testing.T) {
		// Sign by hand what Java and Rust clients send for an empty body.
		r, _ := http.NewRequest("POST", "http://"+testHost+"/2015-03-31/functions/f/invocations", nil)
		r.Header.Set("X-Amz-Date", testTime.Format(amzDateLayout))
		r.Header.Set("Content-Length", "0")
		a := authorization{algorithm: algorithm, credential: testAKID + "/20261125/us-east-1/lambda/aws4_request",
			signedHeaders: "content-length;host;x-amz-date", hasSignedHeaders: true}
		sc, _ := parseScope(a.credential, testTime)
		req := &signedRequest{auth: a, time: testTime}
		sig := manualSignature(r, nil, req, sc, testSecret, wirePath(r), hashHex(nil))
		w := rawWire("POST", "/2015-03-31/functions/f/invocations", [][2]string{{"Host", testHost},
			{"X-Amz-Date", testTime.Format(amzDateLayout)}, {"Content-Length", "0"},
			{"Authorization", "AWS4-HMAC-SHA256 Credential=" + a.credential + ", SignedHeaders=" + a.signedHeaders + ", Signature=" + sig}}, nil)
		sr, body := w.parse(t)
		if _, err := v.Verify(sr, body); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("presigned by SDK", func(t *testing.T) {
		r, _ := http.NewRequest("GET", "http://"+testHost+"/2015-03-31/functions?MaxItems=3&X-Amz-Expires=300", nil)
		uri, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, hashHex(nil), "lambda", "us-east-1", testTime)
		if err != nil {
			t.Fatal(err)
		}
		target := uri[strings.Index(uri, testHost)+len(testHost):]
		w := rawWire("GET", target, [][2]string{{"Host", testHost}}, nil)
		for _, tc := range []struct {
			name string
			now  time.Time
			code string
		}{
			{"fresh", testTime.Add(time.Minute), ""},
			{"at expiry", testTime.Add(300 * time.Second), ""},
			{"expired", testTime.Add(301 * time.Second), CodeInvalidSignature},
		} {
			sr, body := w.parse(t)
			_, err := testVerifier(tc.now).Verify(sr, body)
			if tc.code == "" && err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if tc.code != "" {
				wantError(t, err, tc.code, "")
			}
		}
		sr, body := w.replace(t, "MaxItems=3", "MaxItems=4").parse(t)
		_, err = v.Verify(sr, body)
		wantError(t, err, CodeInvalidSignature, msgSignatureMismatch)
	})
	t.Run("secret rotation takes effect at once", func(t *testing.T) {
		secret := testSecret
		rv := New(Options{Lookup: func(string) (string, bool) { return secret, true }, Now: func() time.Time { return testTime }})
		w := sdkSigned(t, "GET", "http://"+testHost+"/2015-03-31/functions", nil, nil, "lambda", testTime)
		r, body := w.parse(t)
		if _, err := rv.Verify(r, body); err != nil {
			t.Fatal(err)
		}
		secret = "rotated"
		r, body = w.parse(t)
		_, err := rv.Verify(r, body)
		wantError(t, err, CodeInvalidSignature, msgSignatureMismatch)
	})
}

// TestVerifyConcurrent runs Verify from several goroutines, for the race
// detector: the per-key signer map is shared.
func TestVerifyConcurrent(t *testing.T) {
	v := testVerifier(testTime)
	w := sdkSigned(t, "POST", "http://"+testHost+arnPath, nil, []byte(`{}`), "lambda", testTime)
	r, body := w.parse(t) // Verify only reads the request
	done := make(chan error)
	for range 4 {
		go func() {
			var err error
			for range 50 {
				if _, err = v.Verify(r, body); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
