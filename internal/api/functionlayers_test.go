package api

import (
	"errors"
	"testing"

	"github.com/hearth-run/hearth/internal/function"
)

// TestCheckUnzipped checks Lambda's limit on code and layers together.
func TestCheckUnzipped(t *testing.T) {
	layers := []function.Layer{{UnzippedSize: 100_000_000}, {UnzippedSize: 100_000_000}}
	cases := []struct {
		name    string
		code    int64
		layers  []function.Layer
		wantMsg string
	}{
		{"no layers at the limit", 262144000, nil, ""},
		{"code and layers at the limit", 62144000, layers, ""},
		{"one byte over", 62144001, layers,
			"Function code combined with layers exceeds the maximum allowed size of 262144000 bytes. The actual size is 262144001 bytes."},
	}
	for _, c := range cases {
		err := checkUnzipped(c.code, c.layers)
		var ae *awsError
		switch {
		case c.wantMsg == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantMsg != "" && (!errors.As(err, &ae) || ae.Msg != c.wantMsg || ae.Type != typeInvalidParam):
			t.Errorf("%s: got %v, want %s", c.name, err, c.wantMsg)
		}
	}
}
