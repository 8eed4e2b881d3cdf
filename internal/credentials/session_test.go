package credentials

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSessions(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := NewSessions(SessionOptions{TTL: time.Hour, Now: func() time.Time { return now }})
	a := s.Issue("fn-a")
	if !IsSessionKey(a.AccessKeyID) || !strings.HasPrefix(a.AccessKeyID, "ASIA") || len(a.SecretAccessKey) != 40 {
		t.Fatalf("issued %+v", a)
	}
	if secret, ok := s.Secret(a.AccessKeyID); !ok || secret != a.SecretAccessKey {
		t.Errorf("Secret(%s) = %q, %v", a.AccessKeyID, secret, ok)
	}
	if _, ok := s.Secret("AKIAHEARTHTESTKEY001"); ok {
		t.Errorf("Secret of a non-session key")
	}
	got, err := s.Check(a.AccessKeyID, a.SessionToken)
	if err != nil || got.Function != "fn-a" || !got.Expiration.Equal(now.Add(time.Hour)) {
		t.Fatalf("Check = %+v, %v", got, err)
	}
	b := s.Issue("fn-b")
	if b.AccessKeyID == a.AccessKeyID || b.SecretAccessKey == a.SecretAccessKey {
		t.Errorf("two sessions share a key")
	}
	payload, mac, _ := strings.Cut(a.SessionToken, ".")
	bPayload, _, _ := strings.Cut(b.SessionToken, ".")
	for name, tc := range map[string][2]string{
		"other key's token":  {a.AccessKeyID, b.SessionToken},
		"payload swapped":    {a.AccessKeyID, bPayload + "." + mac},
		"mac cut":            {a.AccessKeyID, payload + "." + mac[:10]},
		"no token":           {a.AccessKeyID, ""},
		"other process":      {a.AccessKeyID, NewSessions(SessionOptions{}).Issue("fn-a").SessionToken},
		"not a session key":  {"AKIAHEARTHTESTKEY001", a.SessionToken},
		"garbage":            {a.AccessKeyID, "x.y"},
		"token of other key": {b.AccessKeyID, a.SessionToken},
	} {
		if _, err := s.Check(tc[0], tc[1]); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("%s: err = %v, want ErrTokenInvalid", name, err)
		}
	}
	now = now.Add(time.Hour)
	if _, err := s.Check(a.AccessKeyID, a.SessionToken); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("after the TTL: err = %v, want ErrTokenExpired", err)
	}
}
