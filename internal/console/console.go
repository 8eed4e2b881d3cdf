package console

import (
	"embed"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/hearth-run/hearth/internal/activity"
	"github.com/hearth-run/hearth/internal/api/sigv4"
	"github.com/hearth-run/hearth/internal/logs"
)

//go:embed assets
var assets embed.FS

// Verifier authenticates a SigV4-signed request.
type Verifier interface {
	Verify(r *http.Request, body []byte) (sigv4.Identity, error)
}

// Catalog lists the deployed functions and their concurrency settings.
type Catalog interface {
	Functions() ([]Function, error)
}

// Function is one deployed function as the functions view shows it.
type Function struct {
	Name    string `json:"name"`
	Runtime string `json:"runtime"`
	// Reserved is the reserved concurrency, nil when unreserved.
	Reserved *int `json:"reserved,omitempty"`
	// Provisioned is the provisioned concurrency requested per qualifier.
	Provisioned map[string]int `json:"provisioned,omitempty"`
}

// LogReader reads the functions' log streams.
type LogReader interface {
	Streams(function string) ([]logs.StreamInfo, error)
	Read(function, stream string, w io.Writer) error
}

// Options configures a Console. Events, Secret and Verifier are required.
type Options struct {
	Events *activity.Bus
	// Secret returns the secret key of an access key ID that may open
	// the console (Hearth's own, not environments' session credentials).
	Secret func(accessKeyID string) (string, bool)
	// Verifier checks the signature of the request for a login URL.
	Verifier Verifier
	Catalog  Catalog   // the functions view's list; nil shows only active ones
	Logs     LogReader // recent log lines; nil shows none
	// LoginTokenTTL is how long a one-time login URL works. Default 2 min.
	LoginTokenTTL time.Duration
	// SessionTTL is how long a session lasts. Default 12 h.
	SessionTTL time.Duration
	Now        func() time.Time
	Logger     *slog.Logger
}

// Console serves the web console. Close stops its background work.
type Console struct {
	opts  Options
	log   *slog.Logger
	auth  *auth
	stats *stats
	mux   *http.ServeMux

	wg   sync.WaitGroup // open event streams
	done chan struct{}  // closed by Close
	once sync.Once
}

// New returns a Console reading from opts.Events.
func New(opts Options) *Console {
	if opts.LoginTokenTTL <= 0 {
		opts.LoginTokenTTL = 2 * time.Minute
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	c := &Console{opts: opts, log: opts.Logger, done: make(chan struct{}),
		auth: newAuth(opts.Now, opts.LoginTokenTTL, opts.SessionTTL), stats: newStats(opts.Now)}
	opts.Events.Handle(c.stats.observe)
	c.routes()
	return c
}

// Handler serves everything under /console/.
func (c *Console) Handler() http.Handler { return c.mux }

// Close ends the open event streams and waits for them.
func (c *Console) Close() {
	c.once.Do(func() { close(c.done) })
	c.wg.Wait()
}

func (c *Console) routes() {
	c.mux = http.NewServeMux()
	c.mux.HandleFunc("GET /console/{$}", c.page)
	c.mux.HandleFunc("GET /console/app.js", c.asset("assets/app.js", "text/javascript; charset=utf-8"))
	c.mux.HandleFunc("GET /console/app.css", c.asset("assets/app.css", "text/css; charset=utf-8"))
	c.mux.HandleFunc("GET /console/login", c.loginWithToken)
	c.mux.HandleFunc("POST /console/login", c.sameSite(c.loginWithKeys))
	c.mux.HandleFunc("POST /console/logout", c.sameSite(c.logout))
	c.mux.HandleFunc("GET /console/signed/login-url", c.loginURL)
	c.mux.HandleFunc("GET /console/api/events", c.api(c.events))
	c.mux.HandleFunc("GET /console/api/functions", c.api(c.functions))
	c.mux.HandleFunc("GET /console/api/logs", c.api(c.logLines))
	c.mux.HandleFunc("/console/", http.NotFound)
}

// asset serves one embedded file.
func (c *Console) asset(name, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := assets.ReadFile(name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		secureHeaders(w)
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(b)
	}
}

// page serves the console to a signed-in person and the sign-in page to
// anyone else.
func (c *Console) page(w http.ResponseWriter, r *http.Request) {
	name := "assets/index.html"
	if _, ok := c.auth.session(r); !ok {
		name = "assets/login.html"
	}
	c.asset(name, "text/html; charset=utf-8")(w, r)
}

// secureHeaders keeps the pages from being framed or loading anything from
// elsewhere.
func secureHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}
