package credentials

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors of session tokens; the api package maps them to AWS's answers.
var (
	// ErrTokenInvalid is a session token that Hearth did not issue for the
	// access key it came with, or no token at all.
	ErrTokenInvalid = errors.New("credentials: session token invalid")
	// ErrTokenExpired is a session token past its expiration.
	ErrTokenExpired = errors.New("credentials: session token expired")
)

// SessionKeyPrefix starts the access key ID of every session credential,
// as AWS's temporary keys start with ASIA.
const SessionKeyPrefix = "ASIA"

// DefaultSessionTTL is how long a session credential is valid: as long as
// the longest role session on AWS.
const DefaultSessionTTL = 12 * time.Hour

// Session is a temporary credential of one function's execution
// environment.
type Session struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Function        string
	Expiration      time.Time
}

// SessionOptions configure Sessions.
type SessionOptions struct {
	// TTL is the lifetime of a credential. Default DefaultSessionTTL.
	TTL time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Sessions issues session credentials and verifies them. Nothing is
// stored: the secret of a session key is derived from the key ID with a
// key that lives only in this process, and the token carries the
// function and expiration under the same key's MAC. Credentials end with
// the process, as the environments that hold them do.
type Sessions struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// NewSessions returns Sessions with a fresh random key.
func NewSessions(opts SessionOptions) *Sessions {
	if opts.TTL <= 0 {
		opts.TTL = DefaultSessionTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &Sessions{key: key, ttl: opts.TTL, now: opts.Now}
}

// tokenClaims is the signed content of a session token.
type tokenClaims struct {
	Key      string `json:"k"`
	Function string `json:"f"`
	Expires  int64  `json:"e"` // Unix seconds
}

// Issue returns a new credential of function.
func (s *Sessions) Issue(function string) Session {
	id := SessionKeyPrefix + randomString(16, upperDigits)
	exp := s.now().Add(s.ttl).Truncate(time.Second)
	claims, _ := json.Marshal(tokenClaims{Key: id, Function: function, Expires: exp.Unix()})
	payload := base64.RawURLEncoding.EncodeToString(claims)
	token := payload + "." + base64.RawURLEncoding.EncodeToString(s.mac("token:"+payload))
	return Session{AccessKeyID: id, SecretAccessKey: s.secret(id), SessionToken: token, Function: function, Expiration: exp}
}

// Secret returns the secret access key of a session key ID, or false for
// a key ID that is not a session key.
func (s *Sessions) Secret(accessKeyID string) (string, bool) {
	if !IsSessionKey(accessKeyID) {
		return "", false
	}
	return s.secret(accessKeyID), true
}

// IsSessionKey reports whether an access key ID names a session credential.
func IsSessionKey(accessKeyID string) bool {
	return len(accessKeyID) == len(SessionKeyPrefix)+16 && strings.HasPrefix(accessKeyID, SessionKeyPrefix)
}

// Check verifies the session token that came with a request signed by
// accessKeyID and returns the session, or ErrTokenInvalid or
// ErrTokenExpired.
func (s *Sessions) Check(accessKeyID, token string) (Session, error) {
	payload, sig, ok := strings.Cut(token, ".")
	if !ok || !IsSessionKey(accessKeyID) {
		return Session{}, fmt.Errorf("key %s: %w", accessKeyID, ErrTokenInvalid)
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || subtle.ConstantTimeCompare(got, s.mac("token:"+payload)) != 1 {
		return Session{}, fmt.Errorf("key %s: %w", accessKeyID, ErrTokenInvalid)
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	var c tokenClaims
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Key != accessKeyID {
		return Session{}, fmt.Errorf("key %s: %w", accessKeyID, ErrTokenInvalid)
	}
	exp := time.Unix(c.Expires, 0)
	if !s.now().Before(exp) {
		return Session{}, fmt.Errorf("key %s expired at %s: %w", accessKeyID, exp.UTC().Format(time.RFC3339), ErrTokenExpired)
	}
	return Session{AccessKeyID: accessKeyID, SecretAccessKey: s.secret(accessKeyID), SessionToken: token,
		Function: c.Function, Expiration: exp}, nil
}

func (s *Sessions) secret(id string) string {
	return base64.RawStdEncoding.EncodeToString(s.mac("secret:" + id))[:40]
}

func (s *Sessions) mac(data string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
