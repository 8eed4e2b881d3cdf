package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// CookieName is the session cookie's name.
const CookieName = "hearth_console"

// auth holds the one-time login tokens and the sessions.
type auth struct {
	now                  func() time.Time
	tokenTTL, sessionTTL time.Duration

	mu       sync.Mutex           // guards tokens and sessions
	tokens   map[string]time.Time // one-time login token -> expiry
	sessions map[string]time.Time // session ID -> expiry
}

func newAuth(now func() time.Time, tokenTTL, sessionTTL time.Duration) *auth {
	return &auth{now: now, tokenTTL: tokenTTL, sessionTTL: sessionTTL,
		tokens: map[string]time.Time{}, sessions: map[string]time.Time{}}
}

func randomID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sweepLocked forgets expired tokens and sessions.
func (a *auth) sweepLocked(now time.Time) {
	for k, exp := range a.tokens {
		if now.After(exp) {
			delete(a.tokens, k)
		}
	}
	for k, exp := range a.sessions {
		if now.After(exp) {
			delete(a.sessions, k)
		}
	}
}

// mint returns a new one-time login token and its expiry.
func (a *auth) mint() (string, time.Time) {
	now := a.now()
	tok, exp := randomID(), now.Add(a.tokenTTL)
	a.mu.Lock()
	a.sweepLocked(now)
	a.tokens[tok] = exp
	a.mu.Unlock()
	return tok, exp
}

// redeem uses up a login token and reports whether it was valid.
func (a *auth) redeem(tok string) bool {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.tokens[tok]
	delete(a.tokens, tok)
	return ok && !now.After(exp)
}

// start opens a session and sets its cookie.
func (a *auth) start(w http.ResponseWriter, r *http.Request) {
	now := a.now()
	id := randomID()
	a.mu.Lock()
	a.sweepLocked(now)
	a.sessions[id] = now.Add(a.sessionTTL)
	a.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: id, Path: "/console/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: int(a.sessionTTL.Seconds())})
}

// session returns the request's valid session ID.
func (a *auth) session(r *http.Request) (string, bool) {
	ck, err := r.Cookie(CookieName)
	if err != nil {
		return "", false
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.sessions[ck.Value]
	return ck.Value, ok && !now.After(exp)
}

func (a *auth) end(id string) {
	a.mu.Lock()
	delete(a.sessions, id)
	a.mu.Unlock()
}

// sameOrigin reports whether the browser says the request comes from the
// console's own origin (or from no page at all, as a typed URL). Requests
// without these headers come from no browser.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		scheme := "http://"
		if r.TLS != nil {
			scheme = "https://"
		}
		if !strings.EqualFold(o, scheme+r.Host) {
			return false
		}
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return false
}

// sameSite refuses cross-site requests.
func (c *Console) sameSite(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !sameOrigin(r) {
			writeJSONError(w, http.StatusForbidden, "cross-site request refused")
			return
		}
		h(w, r)
	}
}

// api guards a console API endpoint: same origin and a valid session.
func (c *Console) api(h http.HandlerFunc) http.HandlerFunc {
	return c.sameSite(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := c.auth.session(r); !ok {
			writeJSONError(w, http.StatusUnauthorized, "sign in to the console first")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r)
	})
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// loginURL answers a SigV4-signed request (from `hearth console`) with a
// one-time login URL.
func (c *Console) loginURL(w http.ResponseWriter, r *http.Request) {
	id, err := c.opts.Verifier.Verify(r, nil)
	if err != nil {
		writeJSONError(w, http.StatusForbidden, "a signed request is needed: "+err.Error())
		return
	}
	// Only Hearth's own keys open the console; the session credentials
	// that environments get do not.
	if _, ok := c.opts.Secret(id.AccessKeyID); !ok {
		writeJSONError(w, http.StatusForbidden, "only Hearth's access key may open the console")
		return
	}
	tok, exp := c.auth.mint()
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"url": scheme + r.Host + "/console/login?token=" + tok, "expires": exp.UTC().Format(time.RFC3339),
	})
}

// loginWithToken redeems a one-time login URL.
func (c *Console) loginWithToken(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) || !c.auth.redeem(r.URL.Query().Get("token")) {
		c.signInPage(w, http.StatusForbidden, "This login link is expired or was used already. Run hearth console for a new one, or sign in with your access key.")
		return
	}
	c.auth.start(w, r)
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

// loginWithKeys signs in with an access key ID and secret access key.
func (c *Console) loginWithKeys(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	id, secret := r.PostFormValue("accessKeyId"), r.PostFormValue("secretAccessKey")
	want, ok := c.opts.Secret(id)
	if !ok || subtle.ConstantTimeCompare([]byte(secret), []byte(want)) != 1 {
		c.signInPage(w, http.StatusUnauthorized, "The access key ID or secret access key is not right.")
		return
	}
	c.auth.start(w, r)
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if id, ok := c.auth.session(r); ok {
		c.auth.end(id)
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/console/", MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

// signInPage serves the sign-in page with a message.
func (c *Console) signInPage(w http.ResponseWriter, status int, msg string) {
	b, _ := assets.ReadFile("assets/login.html")
	page := strings.Replace(string(b), "<!--message-->", `<p class="message">`+htmlEscape(msg)+`</p>`, 1)
	secureHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(page))
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

func htmlEscape(s string) string { return htmlEscaper.Replace(s) }
