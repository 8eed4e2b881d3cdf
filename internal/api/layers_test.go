package api

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hearth-run/hearth/internal/codestore"
)

// publishTestLayer publishes a version of name with the given runtimes and
// returns its number.
func publishTestLayer(t *testing.T, s *Server, name string, runtimes ...string) int64 {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"Content":            map[string]string{"ZipFile": base64.StdEncoding.EncodeToString(smallZip(t))},
		"CompatibleRuntimes": runtimes,
	})
	rec := do(s, "POST", "/2018-10-31/layers/"+name+"/versions", body)
	var out struct{ Version int64 }
	if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
		t.Fatalf("publish %s: %d %s", name, rec.Code, rec.Body)
	}
	return out.Version
}

// TestListLayerVersionsPaging walks ListLayerVersions and ListLayers page
// by page, with and without the CompatibleRuntime filter.
func TestListLayerVersionsPaging(t *testing.T) {
	s := newTestServer(t)
	for i := 1; i <= 5; i++ {
		rt := "python3.12"
		if i%2 == 0 {
			rt = "nodejs20.x"
		}
		publishTestLayer(t, s, "paged", rt)
	}
	publishTestLayer(t, s, "other", "nodejs20.x")
	cases := []struct {
		name, query string
		want        []int64
	}{
		{"all", "MaxItems=2", []int64{5, 4, 3, 2, 1}},
		{"python", "MaxItems=2&CompatibleRuntime=python3.12", []int64{5, 3, 1}},
		{"node", "MaxItems=1&CompatibleRuntime=nodejs20.x", []int64{4, 2}},
	}
	for _, c := range cases {
		var got []int64
		marker := ""
		for page := 0; page < 10; page++ {
			q := c.query
			if marker != "" {
				q += "&Marker=" + marker
			}
			rec := do(s, "GET", "/2018-10-31/layers/paged/versions?"+q, nil)
			var out struct {
				NextMarker    string
				LayerVersions []struct{ Version int64 }
			}
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
				t.Fatalf("%s: %d %s", c.name, rec.Code, rec.Body)
			}
			for _, v := range out.LayerVersions {
				got = append(got, v.Version)
			}
			if marker = out.NextMarker; marker == "" {
				break
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: versions %v, want %v", c.name, got, c.want)
		}
	}
	rec := do(s, "GET", "/2018-10-31/layers?CompatibleRuntime=python3.12", nil)
	var layers struct {
		Layers []struct {
			LayerName             string
			LatestMatchingVersion struct{ Version int64 }
		}
	}
	if json.Unmarshal(rec.Body.Bytes(), &layers) != nil || len(layers.Layers) != 1 ||
		layers.Layers[0].LayerName != "paged" || layers.Layers[0].LatestMatchingVersion.Version != 5 {
		t.Fatalf("ListLayers python3.12: %s", rec.Body)
	}
	rec = do(s, "GET", "/2018-10-31/layers?MaxItems=1", nil)
	if !strings.Contains(rec.Body.String(), `"NextMarker":"other"`) || !strings.Contains(rec.Body.String(), `"LayerName":"other"`) {
		t.Fatalf("ListLayers page 1: %s", rec.Body)
	}
}

// TestLayerErrors checks Lambda's error types and messages of the layer
// API and of Layers on a function.
func TestLayerErrors(t *testing.T) {
	s := newTestServer(t)
	publishTestLayer(t, s, "lib")
	fn := func(layers ...string) []byte {
		b, _ := json.Marshal(map[string]any{
			"FunctionName": "f", "Runtime": "python3.12", "Handler": "app.handler", "Role": "arn:aws:iam::000000000000:role/r",
			"Code": map[string]string{"ZipFile": base64.StdEncoding.EncodeToString(smallZip(t))}, "Layers": layers,
		})
		return b
	}
	arn := "arn:aws:lambda:us-east-1:000000000000:layer:lib:"
	cases := []struct {
		name, method, path string
		body               []byte
		status             int
		errType, msg       string
	}{
		{"get missing version", "GET", "/2018-10-31/layers/lib/versions/9", nil, 404,
			"ResourceNotFoundException", "The resource you requested does not exist."},
		{"bad layer name", "GET", "/2018-10-31/layers/bad%20name/versions/1", nil, 400, "ValidationException", ""},
		{"no content", "POST", "/2018-10-31/layers/lib/versions", []byte(`{}`), 400,
			"InvalidParameterValueException", ""},
		{"unknown layer version", "POST", "/2015-03-31/functions", fn(arn + "2"), 400,
			"InvalidParameterValueException", "Layer version " + arn + "2 does not exist."},
		{"other account", "POST", "/2015-03-31/functions", fn("arn:aws:lambda:us-east-1:111111111111:layer:lib:1"), 400,
			"InvalidParameterValueException", "Layer version arn:aws:lambda:us-east-1:111111111111:layer:lib:1 does not exist."},
		{"same layer twice", "POST", "/2015-03-31/functions", fn(arn+"1", arn+"1"), 400, "InvalidParameterValueException",
			"Two different versions of the same layer are not allowed to be referenced in the same function. " +
				arn + "1 and " + arn + "1 are versions of the same layer."},
		{"six layers", "POST", "/2015-03-31/functions", fn(arn+"1", arn+"1", arn+"1", arn+"1", arn+"1", arn+"1"), 400,
			"ValidationException", ""},
		{"no policy", "GET", "/2018-10-31/layers/lib/versions/1/policy", nil, 404,
			"ResourceNotFoundException", "No policy is associated with the given resource."},
		{"remove missing statement", "DELETE", "/2018-10-31/layers/lib/versions/1/policy/nope", nil, 404,
			"ResourceNotFoundException", "Statement nope is not found in resource policy."},
		{"bad principal", "POST", "/2018-10-31/layers/lib/versions/1/policy",
			[]byte(`{"StatementId":"s","Action":"lambda:GetLayerVersion","Principal":"someone"}`), 400, "ValidationException", ""},
		{"delete missing version", "DELETE", "/2018-10-31/layers/lib/versions/9", nil, 204, "", ""},
	}
	for _, c := range cases {
		rec := do(s, c.method, c.path, c.body)
		var body struct{ Message string }
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != c.status || rec.Header().Get("X-Amzn-ErrorType") != c.errType || c.msg != "" && body.Message != c.msg {
			t.Errorf("%s: %d %s %s; want %d %s %q", c.name, rec.Code, rec.Header().Get("X-Amzn-ErrorType"), rec.Body, c.status, c.errType, c.msg)
		}
	}
	add := []byte(`{"StatementId":"s","Action":"lambda:GetLayerVersion","Principal":"123456789012"}`)
	if rec := do(s, "POST", "/2018-10-31/layers/lib/versions/1/policy", add); rec.Code != http.StatusCreated ||
		!strings.Contains(rec.Body.String(), `arn:aws:iam::123456789012:root`) {
		t.Fatalf("add permission: %d %s", rec.Code, rec.Body)
	}
	if rec := do(s, "POST", "/2018-10-31/layers/lib/versions/1/policy", add); rec.Code != http.StatusConflict {
		t.Fatalf("duplicate statement: %d %s", rec.Code, rec.Body)
	}
	if rec := do(s, "POST", "/2018-10-31/layers/lib/versions/1/policy?RevisionId=stale", add); rec.Code != http.StatusPreconditionFailed {
		t.Fatalf("stale revision: %d %s", rec.Code, rec.Body)
	}
}

// TestLayerCodeLifetime checks that a deleted layer version's code stays
// while a function uses it and goes with the last user.
func TestLayerCodeLifetime(t *testing.T) {
	s := newTestServer(t)
	code := s.opts.Code.(*codestore.Store)
	layerZip := zipOf(t, "python/only_in_layer.py", "X = 1\n")
	body, _ := json.Marshal(map[string]any{"Content": map[string]string{"ZipFile": base64.StdEncoding.EncodeToString(layerZip)}})
	if rec := do(s, "POST", "/2018-10-31/layers/lib/versions", body); rec.Code != http.StatusCreated {
		t.Fatalf("publish: %d %s", rec.Code, rec.Body)
	}
	sum := sha256.Sum256(layerZip)
	sha := hex.EncodeToString(sum[:])
	create, _ := json.Marshal(map[string]any{
		"FunctionName": "f", "Runtime": "python3.12", "Handler": "app.handler", "Role": "arn:aws:iam::000000000000:role/r",
		"Code":   map[string]string{"ZipFile": base64.StdEncoding.EncodeToString(smallZip(t))},
		"Layers": []string{"arn:aws:lambda:us-east-1:000000000000:layer:lib:1"},
	})
	if rec := do(s, "POST", "/2015-03-31/functions", create); rec.Code != http.StatusCreated ||
		!strings.Contains(rec.Body.String(), `"Layers":[{"Arn":"arn:aws:lambda:us-east-1:000000000000:layer:lib:1","CodeSize":`) {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	steps := []struct {
		method, path string
		status       int
		present      bool
	}{
		{"DELETE", "/2018-10-31/layers/lib/versions/1", http.StatusNoContent, true},
		{"DELETE", "/2015-03-31/functions/f", http.StatusNoContent, false},
	}
	for _, st := range steps {
		if rec := do(s, st.method, st.path, nil); rec.Code != st.status {
			t.Fatalf("%s %s: %d %s", st.method, st.path, rec.Code, rec.Body)
		}
		if code.Has(sha) != st.present {
			t.Fatalf("after %s %s: layer code present %v, want %v", st.method, st.path, code.Has(sha), st.present)
		}
	}
}

func zipOf(t *testing.T, name, content string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(content))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
