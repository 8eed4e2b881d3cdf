package invoke

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hearth-run/hearth/internal/credentials"
	"github.com/hearth-run/hearth/internal/function"
)

type fakeCredentials struct{ issued []string }

func (f *fakeCredentials) Issue(fn string) credentials.Session {
	f.issued = append(f.issued, fn)
	return credentials.Session{AccessKeyID: "ASIA" + strings.Repeat("X", 16), SecretAccessKey: "secret", SessionToken: "token-" + fn}
}

func TestStartingHook(t *testing.T) {
	creds := &fakeCredentials{}
	iv := New(Options{Credentials: creds, APIEndpoint: "http://host.hearth.internal:1234"})
	c := &function.Config{Name: "fn"}
	hook := iv.starting(c, "WARNING: runtime python3.12 is not installed")
	var log bytes.Buffer
	env := strings.Join(hook(&log), "\n")
	hook(&log) // a second environment: a second credential, a second warning
	if strings.Count(log.String(), "WARNING: runtime python3.12 is not installed\n") != 2 {
		t.Errorf("log %q, want the warning once per start", log.String())
	}
	for _, want := range []string{"AWS_ACCESS_KEY_ID=ASIA", "AWS_SECRET_ACCESS_KEY=secret", "AWS_SESSION_TOKEN=token-fn",
		"AWS_ENDPOINT_URL_LAMBDA=http://host.hearth.internal:1234"} {
		if !strings.Contains(env, want) {
			t.Errorf("environment lacks %s:\n%s", want, env)
		}
	}
	if len(creds.issued) != 2 {
		t.Errorf("issued %d credentials for two starts", len(creds.issued))
	}
	own := &function.Config{Name: "fn", Environment: map[string]string{"AWS_ENDPOINT_URL_LAMBDA": "http://elsewhere"}}
	if env := strings.Join(iv.starting(own, "")(&log), "\n"); strings.Contains(env, "AWS_ENDPOINT_URL_LAMBDA") {
		t.Errorf("the function's own endpoint is overridden:\n%s", env)
	}
	if New(Options{}).starting(c, "") != nil {
		t.Errorf("a hook with nothing to do")
	}
}
