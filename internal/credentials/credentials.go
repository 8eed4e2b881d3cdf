// Package credentials provides Hearth's root credentials: the access key
// pair every API request must be signed with. They come from the
// environment, or are generated on the first start and kept in the data dir.
//
// It also issues the session credentials of execution environments
// ([Sessions]): an ASIA… key, its secret and a session token per
// environment, which Hearth verifies like its own keys and the api package
// limits to invoking functions and reading configuration.
package credentials

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// FileName is the file in the data dir holding generated credentials.
const FileName = "credentials.json"

// Credentials is an access key pair.
type Credentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

// Ensure returns the given pair when both are set. Otherwise it returns
// the pair stored in dir, generating and storing one (mode 0600) when there
// is none yet; generated reports that case.
func Ensure(dir, id, secret string) (c Credentials, generated bool, err error) {
	if id != "" && secret != "" {
		return Credentials{id, secret}, false, nil
	}
	path := filepath.Join(dir, FileName)
	b, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &c); err != nil || c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return c, false, fmt.Errorf("credentials file %s is damaged; remove it to generate new credentials", path)
		}
		return c, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return c, false, fmt.Errorf("read credentials: %w", err)
	}
	c = Credentials{AccessKeyID: "AKIA" + randomString(16, upperDigits), SecretAccessKey: randomString(40, secretChars)}
	b, _ = json.MarshalIndent(c, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return c, false, fmt.Errorf("write credentials: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return c, false, fmt.Errorf("write credentials: %w", err)
	}
	return c, true, nil
}

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
