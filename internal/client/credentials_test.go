package client

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestResolveCredentials(t *testing.T) {
	withFile, damaged, empty := t.TempDir(), t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(withFile, "credentials.json"), []byte(`{"accessKeyId":"FILEID","secretAccessKey":"filesecret"}`), 0o600)
	os.WriteFile(filepath.Join(damaged, "credentials.json"), []byte(`{`), 0o600)
	tests := []struct {
		name       string
		env        map[string]string
		dir        string
		id, secret string
		err        error
	}{
		{"aws env first", map[string]string{"AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "a", "HEARTH_ACCESS_KEY_ID": "H", "HEARTH_SECRET_ACCESS_KEY": "h"}, withFile, "A", "a", nil},
		{"hearth env", map[string]string{"AWS_ACCESS_KEY_ID": "A", "HEARTH_ACCESS_KEY_ID": "H", "HEARTH_SECRET_ACCESS_KEY": "h"}, withFile, "H", "h", nil},
		{"data dir file", nil, withFile, "FILEID", "filesecret", nil},
		{"damaged file", nil, damaged, "", "", ErrNoCredentials},
		{"nothing", nil, empty, "", "", ErrNoCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, secret, err := ResolveCredentials(func(k string) string { return tt.env[k] }, tt.dir)
			if !errors.Is(err, tt.err) || id != tt.id || secret != tt.secret {
				t.Errorf("got %q %q %v, want %q %q %v", id, secret, err, tt.id, tt.secret, tt.err)
			}
		})
	}
}
