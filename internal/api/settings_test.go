package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hearth-run/hearth/internal/function"
)

// TestSettingsKept sets every stored setting on create and update and
// checks each comes back as Lambda reports it, never dropped.
func TestSettingsKept(t *testing.T) {
	s := newTestServer(t)
	zip := base64.StdEncoding.EncodeToString(smallZip(t))
	create := `{"FunctionName":"f","Runtime":"python3.12","Handler":"app.handler","Role":"arn:aws:iam::000000000000:role/r",` +
		`"Code":{"ZipFile":"` + zip + `"},"TracingConfig":{"Mode":"Active"},` +
		`"VpcConfig":{"SubnetIds":["subnet-1"],"SecurityGroupIds":["sg-1"]},` +
		`"FileSystemConfigs":[{"Arn":"arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0","LocalMountPath":"/mnt/efs"}],` +
		`"KMSKeyArn":"arn:aws:kms:us-east-1:123456789012:key/k","SnapStart":{"ApplyOn":"PublishedVersions"},` +
		`"LoggingConfig":{"LogFormat":"JSON","ApplicationLogLevel":"DEBUG"}}`
	rec := do(s, "POST", "/2015-03-31/functions", []byte(create))
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	var got map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &got)
	want := map[string]string{
		"TracingConfig":     `{"Mode":"Active"}`,
		"VpcConfig":         `{"Ipv6AllowedForDualStack":false,"SecurityGroupIds":["sg-1"],"SubnetIds":["subnet-1"],"VpcId":""}`,
		"FileSystemConfigs": `[{"Arn":"arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0","LocalMountPath":"/mnt/efs"}]`,
		"KMSKeyArn":         `"arn:aws:kms:us-east-1:123456789012:key/k"`,
		"SnapStart":         `{"ApplyOn":"PublishedVersions","OptimizationStatus":"Off"}`,
		"LoggingConfig":     `{"ApplicationLogLevel":"DEBUG","LogFormat":"JSON","LogGroup":"/aws/lambda/f","SystemLogLevel":"INFO"}`,
	}
	for k, v := range want {
		b, _ := json.Marshal(got[k])
		if string(b) != v {
			t.Errorf("%s = %s, want %s", k, b, v)
		}
	}
	rec = do(s, "PUT", "/2015-03-31/functions/f/configuration", []byte(`{"TracingConfig":{"Mode":"PassThrough"},"VpcConfig":{"SubnetIds":[],"SecurityGroupIds":[]}}`))
	if rec.Code != http.StatusOK {
		t.Fatalf("update: %d %s", rec.Code, rec.Body)
	}
	got = nil
	_ = json.Unmarshal(rec.Body.Bytes(), &got)
	if b, _ := json.Marshal(got["TracingConfig"]); string(b) != `{"Mode":"PassThrough"}` || got["VpcConfig"] != nil || got["KMSKeyArn"] == nil {
		t.Fatalf("after update: %s", rec.Body)
	}
}

func TestSettingsRefused(t *testing.T) {
	s := newTestServer(t)
	zip := base64.StdEncoding.EncodeToString(smallZip(t))
	tests := []struct{ name, member, errType string }{
		{"tracing mode", `"TracingConfig":{"Mode":"On"}`, typeValidation},
		{"log format", `"LoggingConfig":{"LogFormat":"XML"}`, typeValidation},
		{"log level with text", `"LoggingConfig":{"LogFormat":"Text","ApplicationLogLevel":"DEBUG"}`, typeInvalidParam},
		{"mount path", `"FileSystemConfigs":[{"Arn":"arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0","LocalMountPath":"/tmp/x"}]`, typeValidation},
		{"kms key", `"KMSKeyArn":"key"`, typeValidation},
		{"snapstart", `"SnapStart":{"ApplyOn":"Always"}`, typeValidation},
		{"architecture", `"Architectures":["` + map[string]string{"x86_64": "arm64", "arm64": "x86_64"}[function.HostArchitecture()] + `"]`, typeInvalidParam},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"FunctionName":"f","Runtime":"python3.12","Handler":"app.handler","Role":"arn:aws:iam::000000000000:role/r",` +
				`"Code":{"ZipFile":"` + zip + `"},` + tt.member + `}`
			rec := do(s, "POST", "/2015-03-31/functions", []byte(body))
			if rec.Code != http.StatusBadRequest || rec.Header().Get("X-Amzn-ErrorType") != tt.errType {
				t.Fatalf("answer %d %s %s", rec.Code, rec.Header().Get("X-Amzn-ErrorType"), rec.Body)
			}
		})
	}
}

func TestListFunctionsAllVersions(t *testing.T) {
	s := newTestServer(t)
	zip := base64.StdEncoding.EncodeToString(smallZip(t))
	for _, name := range []string{"a", "b"} {
		if rec := do(s, "POST", "/2015-03-31/functions", []byte(`{"FunctionName":"`+name+`","Runtime":"python3.12","Handler":"app.handler",`+
			`"Role":"arn:aws:iam::000000000000:role/r","Publish":true,"Code":{"ZipFile":"`+zip+`"}}`)); rec.Code != http.StatusCreated {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
	}
	if rec := do(s, "PUT", "/2015-03-31/functions/a/configuration", []byte(`{"Timeout":9}`)); rec.Code != http.StatusOK {
		t.Fatalf("update: %d %s", rec.Code, rec.Body)
	}
	if rec := do(s, "POST", "/2015-03-31/functions/a/versions", []byte(`{}`)); rec.Code != http.StatusCreated {
		t.Fatalf("publish: %d %s", rec.Code, rec.Body)
	}
	list := func(q string) []string {
		rec := do(s, "GET", "/2015-03-31/functions/"+q, nil)
		var out struct {
			Functions []struct{ FunctionName, Version string }
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		var got []string
		for _, f := range out.Functions {
			got = append(got, f.FunctionName+":"+f.Version)
		}
		return got
	}
	if got := strings.Join(list(""), " "); got != "a:$LATEST b:$LATEST" {
		t.Fatalf("ListFunctions = %s", got)
	}
	if got := strings.Join(list("?FunctionVersion=ALL"), " "); got != "a:$LATEST a:1 a:2 b:$LATEST b:1" {
		t.Fatalf("ListFunctions FunctionVersion=ALL = %s", got)
	}
	if rec := do(s, "GET", "/2015-03-31/functions/?FunctionVersion=SOME", nil); rec.Code != http.StatusBadRequest {
		t.Fatalf("FunctionVersion=SOME: %d", rec.Code)
	}
}
