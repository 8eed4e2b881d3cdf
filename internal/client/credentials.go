package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hearth-run/hearth/internal/credentials"
)

// ResolveCredentials finds the access key pair to sign with: from
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, then
// HEARTH_ACCESS_KEY_ID/HEARTH_SECRET_ACCESS_KEY, then the credentials file
// in dataDir. Unlike the server it never generates a pair.
func ResolveCredentials(getenv func(string) string, dataDir string) (id, secret string, err error) {
	for _, pair := range [][2]string{
		{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
		{"HEARTH_ACCESS_KEY_ID", "HEARTH_SECRET_ACCESS_KEY"},
	} {
		if id, secret := getenv(pair[0]), getenv(pair[1]); id != "" && secret != "" {
			return id, secret, nil
		}
	}
	path := filepath.Join(dataDir, credentials.FileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("%w: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or point --data-dir at the data dir of `hearth serve` (no %s)", ErrNoCredentials, path)
	}
	if err != nil {
		return "", "", fmt.Errorf("read credentials: %w", err)
	}
	var c credentials.Credentials
	if err := json.Unmarshal(b, &c); err != nil || c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return "", "", fmt.Errorf("%w: credentials file %s is damaged", ErrNoCredentials, path)
	}
	return c.AccessKeyID, c.SecretAccessKey, nil
}
