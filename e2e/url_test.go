package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

var urlRE = regexp.MustCompile(`^http://([a-z0-9]{32})\.lambda-url\.us-east-1\.localhost:(\d+)/$`)

func urlZip(t *testing.T) []byte {
	return zipFiles(t, map[string][]byte{"app.py": readTestdata(t, "urlfn/app.py")})
}

// urlCall sends one plain HTTP request to a function URL on h: to h's
// address, with the URL's Host header.
type urlCall struct {
	method, path string
	header       http.Header
	body         []byte
	sign         bool
}

func (h *hearth) callURL(t *testing.T, fnURL string, c urlCall) (*http.Response, []byte) {
	t.Helper()
	u, err := url.Parse(fnURL)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(c.method, "http://"+h.addr+c.path, bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = u.Host
	for k, v := range c.header {
		req.Header[k] = v
	}
	if c.sign {
		sum := sha256.Sum256(c.body)
		creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestFunctionURL calls a Python function through a NONE and an AWS_IAM
// function URL with plain HTTP and checks the 2.0 event it receives and
// the HTTP response its answer becomes.
func TestFunctionURL(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	ctx := context.Background()
	createFunction(t, c, "urlfn", runtimeCase{"python", "python3.12", "app.handler", urlZip})
	created, err := c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{
		FunctionName: aws.String("urlfn"), AuthType: types.FunctionUrlAuthTypeNone})
	if err != nil {
		t.Fatal(err)
	}
	fnURL := aws.ToString(created.FunctionUrl)
	m := urlRE.FindStringSubmatch(fnURL)
	if m == nil || !strings.HasSuffix(h.addr, ":"+m[2]) || created.InvokeMode != types.InvokeModeBuffered {
		t.Fatalf("CreateFunctionUrlConfig: %s %s (API at %s)", fnURL, created.InvokeMode, h.addr)
	}
	got, err := c.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("urlfn")})
	if err != nil || aws.ToString(got.FunctionUrl) != fnURL || got.AuthType != types.FunctionUrlAuthTypeNone {
		t.Fatalf("GetFunctionUrlConfig: %+v %v", got, err)
	}

	// Without a statement allowing lambda:InvokeFunctionUrl to "*", a NONE
	// URL is forbidden.
	resp, body := h.callURL(t, fnURL, urlCall{method: "GET", path: "/"})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `"Message"`) {
		t.Fatalf("without permission: %d %s", resp.StatusCode, body)
	}
	if _, err := c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("urlfn"),
		StatementId: aws.String("public"), Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"),
		FunctionUrlAuthType: types.FunctionUrlAuthTypeNone}); err != nil {
		t.Fatal(err)
	}

	binary := []byte{0, 1, 2, 0xff, 0xfe, 'x'}
	resp, body = h.callURL(t, fnURL, urlCall{method: "POST", path: "/some/path?a=1&a=2&b=x",
		header: http.Header{"Content-Type": {"application/octet-stream"}, "X-Multi": {"one", "two"},
			"Cookie": {"c1=v1; c2=v2"}, "User-Agent": {"hearth-test"}},
		body: binary})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("echo: %d %s", resp.StatusCode, body)
	}
	var ev struct {
		Version, RouteKey, RawPath, RawQueryString string
		Cookies                                    []string
		Headers, QueryStringParameters             map[string]string
		Body                                       string
		IsBase64Encoded                            bool
		RequestContext                             struct {
			AccountID, APIID, DomainName, DomainPrefix, RequestID, RouteKey, Stage, Time string
			TimeEpoch                                                                    int64
			HTTP                                                                         struct{ Method, Path, Protocol, SourceIP, UserAgent string }
		}
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatalf("event %s: %v", body, err)
	}
	rc := ev.RequestContext
	if ev.Version != "2.0" || ev.RouteKey != "$default" || ev.RawPath != "/some/path" || ev.RawQueryString != "a=1&a=2&b=x" ||
		ev.QueryStringParameters["a"] != "1,2" || ev.QueryStringParameters["b"] != "x" ||
		strings.Join(ev.Cookies, "|") != "c1=v1|c2=v2" || ev.Headers["x-multi"] != "one,two" || ev.Headers["cookie"] != "" ||
		ev.Headers["x-forwarded-for"] != "127.0.0.1" || ev.Headers["x-forwarded-proto"] != "http" ||
		!strings.HasSuffix(h.addr, ":"+ev.Headers["x-forwarded-port"]) ||
		ev.Headers["content-type"] != "application/octet-stream" || !ev.IsBase64Encoded ||
		ev.Body != base64.StdEncoding.EncodeToString(binary) {
		t.Fatalf("event: %s", body)
	}
	if rc.APIID != m[1] || rc.DomainPrefix != m[1] || rc.DomainName != m[1]+".lambda-url.us-east-1.localhost" ||
		rc.HTTP.Method != "POST" || rc.HTTP.Path != "/some/path" || rc.HTTP.SourceIP != "127.0.0.1" ||
		rc.HTTP.UserAgent != "hearth-test" || rc.HTTP.Protocol != "HTTP/1.1" || rc.RequestID == "" ||
		rc.Stage != "$default" || rc.TimeEpoch == 0 || rc.Time == "" || rc.AccountID != "anonymous" {
		t.Fatalf("requestContext: %s", body)
	}

	resp, body = h.callURL(t, fnURL, urlCall{method: "GET", path: "/?mode=binary"})
	want := make([]byte, 256)
	for i := range want {
		want[i] = byte(i)
	}
	if resp.StatusCode != 201 || !bytes.Equal(body, want) || resp.Header.Get("X-Custom") != "yes" ||
		resp.Header.Get("Content-Type") != "application/octet-stream" ||
		strings.Join(resp.Header.Values("Set-Cookie"), "|") != "a=1; Path=/|b=2" {
		t.Fatalf("binary answer: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	resp, body = h.callURL(t, fnURL, urlCall{method: "GET", path: "/?mode=plain"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || string(body) != `{"hello": "world"}` {
		t.Fatalf("plain answer: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, body = h.callURL(t, fnURL, urlCall{method: "GET", path: "/?mode=fail"})
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("function error: %d %s", resp.StatusCode, body)
	}

	// A throttled function is 429 on its URL.
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("urlfn"),
		ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	if resp, body := h.callURL(t, fnURL, urlCall{method: "GET", path: "/?mode=plain"}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("throttled: %d %s", resp.StatusCode, body)
	}
	if _, err := c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("urlfn")}); err != nil {
		t.Fatal(err)
	}

	// CORS preflight is answered from the configuration.
	if _, err := c.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("urlfn"),
		Cors: &types.Cors{AllowOrigins: []string{"https://example.com"}, AllowMethods: []string{"GET", "POST"},
			AllowHeaders: []string{"x-token"}, MaxAge: aws.Int32(300)}}); err != nil {
		t.Fatal(err)
	}
	resp, body = h.callURL(t, fnURL, urlCall{method: "OPTIONS", path: "/x", header: http.Header{
		"Origin": {"https://example.com"}, "Access-Control-Request-Method": {"POST"}}})
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://example.com" ||
		resp.Header.Get("Access-Control-Allow-Methods") != "GET,POST" || resp.Header.Get("Access-Control-Allow-Headers") != "x-token" ||
		resp.Header.Get("Access-Control-Max-Age") != "300" || len(body) != 0 {
		t.Fatalf("preflight: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, _ = h.callURL(t, fnURL, urlCall{method: "OPTIONS", path: "/x", header: http.Header{
		"Origin": {"https://evil.example"}, "Access-Control-Request-Method": {"POST"}}})
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from a foreign origin allowed: %v", resp.Header)
	}

	// An AWS_IAM URL on an alias refuses unsigned calls and serves signed ones.
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("urlfn"), Name: aws.String("live"),
		FunctionVersion: aws.String("$LATEST")}); err != nil {
		t.Fatal(err)
	}
	iam, err := c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("urlfn"),
		Qualifier: aws.String("live"), AuthType: types.FunctionUrlAuthTypeAwsIam})
	if err != nil || aws.ToString(iam.FunctionArn) != "arn:aws:lambda:us-east-1:000000000000:function:urlfn:live" {
		t.Fatalf("alias URL: %+v %v", iam, err)
	}
	iamURL := aws.ToString(iam.FunctionUrl)
	if resp, body := h.callURL(t, iamURL, urlCall{method: "GET", path: "/?mode=plain"}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unsigned call to an AWS_IAM URL: %d %s", resp.StatusCode, body)
	}
	resp, body = h.callURL(t, iamURL, urlCall{method: "POST", path: "/signed", body: []byte(`{"x":1}`),
		header: http.Header{"Content-Type": {"application/json"}}, sign: true})
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"accessKey": "`+testKeyID+`"`) || !strings.Contains(string(body), `"body": "{\"x\":1}"`) {
		t.Fatalf("signed call to an AWS_IAM URL: %d %s", resp.StatusCode, body)
	}
	list, err := c.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("urlfn")})
	if err != nil || len(list.FunctionUrlConfigs) != 2 {
		t.Fatalf("ListFunctionUrlConfigs: %+v %v", list, err)
	}
	if _, err := c.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("urlfn")}); err != nil {
		t.Fatal(err)
	}
	if resp, _ := h.callURL(t, fnURL, urlCall{method: "GET", path: "/?mode=plain"}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("deleted URL answered %d", resp.StatusCode)
	}
}

// TestURLCLI creates a public URL with `hearth url create` and calls it
// through --url-listen.
func TestURLCLI(t *testing.T) {
	urlAddr := freeAddr(t)
	h := startHearth(t, "", "--url-listen", urlAddr)
	createFunction(t, h.client(), "clifn", runtimeCase{"python", "python3.12", "app.handler", urlZip})
	env := cliEnv(t, h)
	fnURL := strings.TrimSpace(mustCLI(t, env, "url", "create", "clifn", "--auth", "NONE"))
	if !urlRE.MatchString(fnURL) {
		t.Fatalf("hearth url create printed %q", fnURL)
	}
	if out := mustCLI(t, env, "url", "get", "clifn"); !strings.Contains(out, fnURL) || !strings.Contains(out, "NONE") {
		t.Fatalf("hearth url get: %s", out)
	}
	u, _ := url.Parse(fnURL)
	req, _ := http.NewRequest("GET", "http://"+urlAddr+"/?mode=plain", nil)
	req.Host = u.Host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `{"hello": "world"}` {
		t.Fatalf("URL on --url-listen: %d %s", resp.StatusCode, body)
	}
	// The URL listener serves URLs only.
	resp, err = http.Get("http://" + urlAddr + "/2015-03-31/functions")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("API on the URL listener: %d", resp.StatusCode)
	}
	mustCLI(t, env, "url", "delete", "clifn")
	if r := runCLI(t, env, "url", "get", "clifn"); r.code == 0 || !strings.Contains(r.stderr, "ResourceNotFoundException") {
		t.Fatalf("hearth url get after delete: %+v", r)
	}
}
