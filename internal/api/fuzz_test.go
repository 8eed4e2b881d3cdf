package api

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-run/hearth/internal/api/sigv4"
	"github.com/hearth-run/hearth/internal/codestore"
	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/invoke"
	"github.com/hearth-run/hearth/internal/logs"
	"github.com/hearth-run/hearth/internal/pool"
	"github.com/hearth-run/hearth/internal/store"
)

// acceptAll stands in for SigV4 verification, which has its own tests:
// here the request parsers behind it are under test.
type acceptAll struct{}

func (acceptAll) Authenticate(r *http.Request) (Pending, error) {
	return acceptAll{}, nil
}

func (acceptAll) Identity() sigv4.Identity {
	return sigv4.Identity{Service: "lambda", Region: "us-east-1"}
}

func (acceptAll) RequireSigned(string) error { return nil }

func (a acceptAll) Finish([sha256.Size]byte, int64) (sigv4.Identity, error) { return a.Identity(), nil }

// echoInvoker answers every invocation with its payload, at the process
// boundary where the real invoker would start environments.
type echoInvoker struct{}

func (echoInvoker) Invoke(_ context.Context, req *InvokeRequest) (*InvokeResult, error) {
	return &invoke.Result{Status: http.StatusOK, Payload: req.Payload, ExecutedVersion: function.Latest}, nil
}
func (echoInvoker) FunctionChanged(string) {}
func (echoInvoker) ProvisionStatus(string, string) pool.ProvisionStatus {
	return pool.ProvisionStatus{}
}
func (echoInvoker) PrepareAlias(context.Context, *function.Alias) {}

func newTestServer(t testing.TB) *Server {
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "hearth.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	code, err := codestore.Open(codestore.Options{Dir: filepath.Join(dir, "code")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { code.Close() })
	logStore, err := logs.Open(logs.Options{Dir: filepath.Join(dir, "logs")})
	if err != nil {
		t.Fatal(err)
	}
	return New(Options{Store: st, Code: code, Verifier: acceptAll{}, Invoker: echoInvoker{}, Logs: logStore,
		Region: "us-east-1", Account: "000000000000", ConcurrencyLimit: 1000, MinUnreserved: 100, URLKey: []byte("k")})
}

func smallZip(t testing.TB) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("app.py")
	w.Write([]byte("def handler(e, c):\n    return e\n"))
	zw.Close()
	return buf.Bytes()
}

func do(s *Server, method, path string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// FuzzRequests sends arbitrary bodies and paths to every kind of route.
// Whatever arrives, Hearth answers with a status below 500 and, for an
// error, Lambda's JSON error shape; it never panics.
func FuzzRequests(f *testing.F) {
	zip64 := base64.StdEncoding.EncodeToString(smallZip(f))
	seeds := []struct{ method, path, body string }{
		{"POST", "/2015-03-31/functions", `{"FunctionName":"f","Runtime":"python3.12","Handler":"app.handler","Role":"arn:aws:iam::000000000000:role/r","Code":{"ZipFile":"` + zip64 + `"}}`},
		{"POST", "/2015-03-31/functions", `{"FunctionName":"f","MemorySize":"x"}`},
		{"PUT", "/2015-03-31/functions/f/configuration", `{"MemorySize":256,"Environment":{"Variables":{"AB":"c"}}}`},
		{"PUT", "/2015-03-31/functions/f/code", `{"ZipFile":"AAAA"}`},
		{"POST", "/2015-03-31/functions/f/invocations", `{"a":1}`},
		{"POST", "/2015-03-31/functions/f/versions", `{}`},
		{"POST", "/2015-03-31/functions/f/aliases", `{"Name":"live","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"2":0.5}}}`},
		{"PUT", "/2017-10-31/functions/f/concurrency", `{"ReservedConcurrentExecutions":5}`},
		{"PUT", "/2019-09-30/functions/f/provisioned-concurrency?Qualifier=1", `{"ProvisionedConcurrentExecutions":2}`},
		{"PUT", "/2019-09-25/functions/f/event-invoke-config", `{"MaximumRetryAttempts":1,"DestinationConfig":{"OnSuccess":{"Destination":"arn:aws:lambda:us-east-1:000000000000:function:g"}}}`},
		{"POST", "/2017-03-31/tags/arn:aws:lambda:us-east-1:000000000000:function:f", `{"Tags":{"a":"b"}}`},
		{"GET", "/2015-03-31/functions/?MaxItems=2&Marker=f", ``},
		{"DELETE", "/2015-03-31/functions/f?Qualifier=1", ``},
		{"GET", "/hearth/logs/f?stream=2024%2F01%2F01%2F%5B%24LATEST%5Dx&offset=3", ``},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body)
	}
	s := newTestServer(f)
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\t#") {
			return
		}
		if _, err := url.ParseRequestURI(path); err != nil {
			return // net/http refuses such a request line before Hearth sees it
		}
		switch method {
		case "GET", "POST", "PUT", "DELETE":
		default:
			return
		}
		rec := do(s, method, path, []byte(body))
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: status %d: %s", method, path, body, rec.Code, rec.Body.String())
		}
		if rec.Code >= 400 && !strings.HasPrefix(path, "/hearth/code/") {
			var e map[string]any
			if json.Unmarshal(rec.Body.Bytes(), &e) != nil || rec.Header().Get("X-Amzn-ErrorType") == "" {
				t.Fatalf("%s %s: error without Lambda's shape: %d %s", method, path, rec.Code, rec.Body.String())
			}
		}
	})
}

// TestCreateLeavesNothingOnFailure checks that a rejected create stores
// neither metadata nor code.
func TestCreateLeavesNothingOnFailure(t *testing.T) {
	s := newTestServer(t)
	zip64 := base64.StdEncoding.EncodeToString(smallZip(t))
	bad := `{"FunctionName":"f","Runtime":"python3.12","Handler":"app.handler","Role":"arn:aws:iam::000000000000:role/r","MemorySize":64,"Code":{"ZipFile":"` + zip64 + `"}}`
	if rec := do(s, "POST", "/2015-03-31/functions", []byte(bad)); rec.Code != 400 {
		t.Fatalf("invalid create: %d %s", rec.Code, rec.Body.String())
	}
	if rec := do(s, "GET", "/2015-03-31/functions/f", nil); rec.Code != 404 {
		t.Fatalf("function stored after a failed create: %d", rec.Code)
	}
	good := strings.Replace(bad, `"MemorySize":64,`, "", 1)
	if rec := do(s, "POST", "/2015-03-31/functions", []byte(good)); rec.Code != 201 {
		t.Fatalf("create: %d %s", rec.Code, rec.Body.String())
	}
	if rec := do(s, "POST", "/2015-03-31/functions", []byte(good)); rec.Code != 409 || rec.Header().Get("X-Amzn-ErrorType") != "ResourceConflictException" {
		t.Fatalf("duplicate: %d %s", rec.Code, rec.Body.String())
	}
}

// BenchmarkInvokeRouting measures what the API adds to an invocation before
// the invoker runs it: routing, body reading, qualifier and header parsing,
// payload validation and writing the response (signature verification has
// its own benchmark in api/sigv4).
func BenchmarkInvokeRouting(b *testing.B) {
	s := newTestServer(b)
	zip64 := base64.StdEncoding.EncodeToString(smallZip(b))
	create := `{"FunctionName":"f","Runtime":"python3.12","Handler":"app.handler","Role":"arn:aws:iam::000000000000:role/r","Code":{"ZipFile":"` + zip64 + `"}}`
	if rec := do(s, "POST", "/2015-03-31/functions", []byte(create)); rec.Code != 201 {
		b.Fatalf("create: %d %s", rec.Code, rec.Body.String())
	}
	payload := []byte(`{"orderId":"12345","items":[{"sku":"a","qty":1},{"sku":"b","qty":2}],"note":"` + strings.Repeat("x", 512) + `"}`)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/2015-03-31/functions/f/invocations?Qualifier=%24LATEST", bytes.NewReader(payload))
		req.Header.Set("X-Amz-Log-Type", "Tail")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("invoke: %d", rec.Code)
		}
	}
}
