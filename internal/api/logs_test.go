package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/hearth-run/hearth/internal/logs"
)

func TestReadLogs(t *testing.T) {
	s := newTestServer(t)
	store := s.opts.Logs.(*logs.Store)
	create := `{"FunctionName":"f","Runtime":"python3.12","Handler":"app.handler","Role":"arn:aws:iam::000000000000:role/r","Code":{"ZipFile":"` +
		base64.StdEncoding.EncodeToString(smallZip(t)) + `"}}`
	if rec := do(s, "POST", "/2015-03-31/functions", []byte(create)); rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	st, err := store.Create("f", "2024/01/02/[$LATEST]abc")
	if err != nil {
		t.Fatal(err)
	}
	st.Write([]byte("hello\n"))
	st.Close()

	tests := []struct {
		name, path string
		status     int
		body       string // exact body, when not empty
		errType    string
	}{
		{"whole stream", "/hearth/logs/f?stream=2024%2F01%2F02%2F%5B%24LATEST%5Dabc", 200, "hello\n", ""},
		{"from offset", "/hearth/logs/f?stream=2024%2F01%2F02%2F%5B%24LATEST%5Dabc&offset=2", 200, "llo\n", ""},
		{"offset past end", "/hearth/logs/f?stream=2024%2F01%2F02%2F%5B%24LATEST%5Dabc&offset=99", 200, "", ""},
		{"bad offset", "/hearth/logs/f?stream=x&offset=-1", 400, "", typeInvalidParam},
		{"missing stream", "/hearth/logs/f?stream=nope", 404, "", typeNotFound},
		{"missing function", "/hearth/logs/g", 404, "", typeNotFound},
		{"qualified name", "/hearth/logs/f:$LATEST?stream=2024%2F01%2F02%2F%5B%24LATEST%5Dabc", 200, "hello\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(s, "GET", tt.path, nil)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.errType != "" && rec.Header().Get("X-Amzn-ErrorType") != tt.errType {
				t.Errorf("error type %q, want %q", rec.Header().Get("X-Amzn-ErrorType"), tt.errType)
			}
			if tt.status == 200 && rec.Body.String() != tt.body {
				t.Errorf("body %q, want %q", rec.Body, tt.body)
			}
		})
	}

	rec := do(s, "GET", "/hearth/logs/f", nil)
	var out struct{ Streams []streamInfo }
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != 200 {
		t.Fatalf("list: %d %s %v", rec.Code, rec.Body, err)
	}
	if len(out.Streams) != 1 || out.Streams[0].Name != "2024/01/02/[$LATEST]abc" || out.Streams[0].Size != 6 {
		t.Errorf("streams = %+v", out.Streams)
	}
}
