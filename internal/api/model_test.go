package api

import (
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hearth-run/hearth/internal/function"
)

// modelShape is the part of a botocore shape that constrains a value.
type modelShape struct {
	Type    string                            `json:"type"`
	Pattern string                            `json:"pattern"`
	Min     *float64                          `json:"min"`
	Max     *float64                          `json:"max"`
	Enum    []string                          `json:"enum"`
	Members map[string]struct{ Shape string } `json:"members"`
}

// lambdaModel loads Lambda's API model from the installed botocore (the
// AWS CLI's and boto3's), the source AWS's SDKs are generated from.
func lambdaModel(t *testing.T) map[string]modelShape {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: botocore's Lambda model is not available")
	}
	out, err := exec.Command(python, "-c", "import botocore, os; print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		t.Skip("botocore is not installed: its Lambda model is not available")
	}
	// botocore ships its models gzipped since 1.32, plain before.
	base := filepath.Join(strings.TrimSpace(string(out)), "data", "lambda", "2015-03-31", "service-2.json")
	var r io.Reader
	if f, err := os.Open(base + ".gz"); err == nil {
		defer f.Close()
		if r, err = gzip.NewReader(f); err != nil {
			t.Fatal(err)
		}
	} else if f, err := os.Open(base); err == nil {
		defer f.Close()
		r = f
	} else {
		t.Fatalf("botocore has no Lambda model: %v", err)
	}
	var model struct{ Shapes map[string]modelShape }
	if err := json.NewDecoder(r).Decode(&model); err != nil {
		t.Fatal(err)
	}
	return model.Shapes
}

// member returns the shape of a member of an operation's input shape.
func member(t *testing.T, shapes map[string]modelShape, input, name string) modelShape {
	t.Helper()
	m, ok := shapes[input].Members[name]
	if !ok {
		t.Fatalf("model: %s has no member %s", input, name)
	}
	return shapes[m.Shape]
}

// modelAccepts applies a string shape's constraints as AWS does: the
// pattern matches the whole value, lengths in characters, enums exactly.
func modelAccepts(t *testing.T, s modelShape, v string) bool {
	t.Helper()
	if s.Type == "integer" {
		n, err := strconv.Atoi(v)
		return err == nil && (s.Min == nil || float64(n) >= *s.Min) && (s.Max == nil || float64(n) <= *s.Max)
	}
	n := float64(len([]rune(v)))
	if s.Min != nil && n < *s.Min || s.Max != nil && n > *s.Max {
		return false
	}
	if len(s.Enum) > 0 && !slices.Contains(s.Enum, v) {
		return false
	}
	if s.Pattern != "" {
		return regexp.MustCompile(`^(?:` + s.Pattern + `)$`).MatchString(v)
	}
	return true
}

// TestValidationAgreesWithModel sends values of constrained members to
// Hearth and checks its verdict against botocore's Lambda model: what the
// model refuses Hearth refuses with a 400 and Lambda's exception, and what
// it accepts Hearth accepts, but where Lambda itself is documented to be
// stricter than its model (stricter: MemorySize up to 10240, Timeout up
// to 900).
func TestValidationAgreesWithModel(t *testing.T) {
	shapes := lambdaModel(t)
	if got := member(t, shapes, "CreateFunctionRequest", "Handler").Pattern; got != function.HandlerPattern {
		t.Errorf("Handler pattern: model %q, Hearth %q", got, function.HandlerPattern)
	}
	if got := member(t, shapes, "CreateFunctionRequest", "Role").Pattern; got != function.RolePattern {
		t.Errorf("Role pattern: model %q, Hearth %q", got, function.RolePattern)
	}
	if got := member(t, shapes, "CreateFunctionRequest", "KMSKeyArn").Pattern; got != function.KMSKeyPattern {
		t.Errorf("KMSKeyArn pattern: model %q, Hearth %q", got, function.KMSKeyPattern)
	}
	// Members newer than some botocore releases are compared when the
	// installed model has them.
	for _, c := range []struct{ shape, member, hearth string }{
		{"FileSystemConfig", "LocalMountPath", function.MountPathPattern},
		{"LoggingConfig", "LogGroup", function.LogGroupPattern},
	} {
		m, ok := shapes[c.shape].Members[c.member]
		if !ok {
			t.Logf("the installed botocore's model has no %s.%s", c.shape, c.member)
			continue
		}
		if got := shapes[m.Shape].Pattern; got != c.hearth {
			t.Errorf("%s.%s pattern: model %q, Hearth %q", c.shape, c.member, got, c.hearth)
		}
	}
	if efs := shapes[shapes["FileSystemConfig"].Members["Arn"].Shape]; efs.Pattern != "" &&
		!regexp.MustCompile(`^(?:`+efs.Pattern+`)$`).MatchString("arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0") {
		t.Errorf("FileSystemConfig.Arn: the model refuses an access point ARN Hearth accepts")
	}
	tests := []struct {
		input, member, value string
		stricter             bool // Lambda refuses what its model allows
	}{
		{"CreateFunctionRequest", "Handler", "app.handler", false},
		{"CreateFunctionRequest", "Handler", "app handler", false},
		{"CreateFunctionRequest", "Handler", "app.handler\n", false},
		{"CreateFunctionRequest", "Handler", "\tapp.handler", false},
		{"CreateFunctionRequest", "Handler", strings.Repeat("h", 128), false},
		{"CreateFunctionRequest", "Handler", strings.Repeat("h", 129), false},
		{"CreateFunctionRequest", "Role", "arn:aws:iam::123456789012:role/service-role/r+=,.@-_", false},
		{"CreateFunctionRequest", "Role", "arn:aws-us-gov:iam::123456789012:role/r", false},
		{"CreateFunctionRequest", "Role", "r", false},
		{"CreateFunctionRequest", "Role", "arn:aws:iam::123456789012:user/u", false},
		{"CreateFunctionRequest", "Role", "arn:aws:iam::12345678901:role/r", false},
		{"CreateFunctionRequest", "Role", "arn:aws:iam::123456789012:role/a b", false},
		{"CreateFunctionRequest", "Role", "arn:aws:iam::123456789012:role/", false},
		{"CreateFunctionRequest", "Description", strings.Repeat("d", 256), false},
		{"CreateFunctionRequest", "Description", strings.Repeat("d", 257), false},
		{"CreateFunctionRequest", "MemorySize", "127", false},
		{"CreateFunctionRequest", "MemorySize", "128", false},
		{"CreateFunctionRequest", "MemorySize", "10240", false},
		{"CreateFunctionRequest", "MemorySize", "10241", true},
		{"CreateFunctionRequest", "Timeout", "0", false},
		{"CreateFunctionRequest", "Timeout", "900", false},
		{"CreateFunctionRequest", "Timeout", "901", true},
		{"CreateFunctionRequest", "FunctionName", "fn-1_x", false},
		{"CreateFunctionRequest", "FunctionName", "fn.x", false},
		{"CreateFunctionRequest", "FunctionName", strings.Repeat("f", 65), true},
		{"CreateFunctionRequest", "KMSKeyArn", "arn:aws:kms:us-east-1:123456789012:key/k", false},
		{"CreateFunctionRequest", "KMSKeyArn", "", false},
		{"CreateFunctionRequest", "KMSKeyArn", "key", false},
		{"InvocationRequest", "LogType", "Tail", false},
		{"InvocationRequest", "LogType", "None", false},
		{"InvocationRequest", "LogType", "Bogus", false},
		{"InvocationRequest", "LogType", "tail", false},
		{"InvocationRequest", "InvocationType", "Event", false},
		{"InvocationRequest", "InvocationType", "DryRun", false},
		{"InvocationRequest", "InvocationType", "event", false},
	}
	s := newTestServer(t)
	zip := base64.StdEncoding.EncodeToString(smallZip(t))
	do(s, "POST", "/2015-03-31/functions", []byte(`{"FunctionName":"target","Runtime":"python3.12","Handler":"app.handler",`+
		`"Role":"arn:aws:iam::000000000000:role/r","Code":{"ZipFile":"`+zip+`"}}`))
	for i, tt := range tests {
		t.Run(tt.member+"="+strconv.Quote(tt.value)[:min(40, len(strconv.Quote(tt.value)))], func(t *testing.T) {
			want := modelAccepts(t, member(t, shapes, tt.input, tt.member), tt.value) && !tt.stricter
			var status int
			var body string
			if tt.input == "InvocationRequest" {
				req, _ := http.NewRequest("POST", "/2015-03-31/functions/target/invocations", strings.NewReader("{}"))
				req.Header.Set(map[string]string{"LogType": "X-Amz-Log-Type", "InvocationType": "X-Amz-Invocation-Type"}[tt.member], tt.value)
				rec := doRequest(s, req)
				status, body = rec.Code, rec.Body.String()
			} else {
				in := map[string]any{"FunctionName": "f" + strconv.Itoa(i), "Runtime": "python3.12", "Handler": "app.handler",
					"Role": "arn:aws:iam::000000000000:role/r", "Code": map[string]any{"ZipFile": zip}}
				in[tt.member] = tt.value
				if n, err := strconv.Atoi(tt.value); err == nil {
					in[tt.member] = n
				}
				b, _ := json.Marshal(in)
				rec := do(s, "POST", "/2015-03-31/functions", b)
				status, body = rec.Code, rec.Body.String()
			}
			got := status < 300
			if got != want {
				t.Fatalf("model (with Lambda's stricter limits) says valid=%v, Hearth answered %d %.300s", want, status, body)
			}
			if !got && status != http.StatusBadRequest {
				t.Fatalf("refused with %d, want 400: %.300s", status, body)
			}
		})
	}
}

func doRequest(s *Server, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}
