// Package api serves Hearth's AWS-compatible HTTP API: Lambda's 2015-03-31
// REST API (management and Invoke), authenticated with AWS Signature
// Version 4, with Lambda's paths, JSON shapes, headers, error types and
// status codes. It is the only package that turns Go errors into AWS errors.
package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"github.com/hearth-run/hearth/internal/api/sigv4"
	"github.com/hearth-run/hearth/internal/codestore"
	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/pool"
)

// Store is the metadata the API reads and writes.
type Store interface {
	CreateFunction(fn *function.Function) error
	Function(name string) (*function.Function, error)
	UpdateFunction(name string, change func(*function.Function) error) (*function.Function, error)
	DeleteFunction(name string) error
	ListFunctions(marker string, max int) ([]*function.Function, string, error)
	CodeInUse(sha string) (bool, error)
	PutEventInvokeConfig(name, qualifier string, change func(*function.EventInvokeConfig, bool) error) (*function.EventInvokeConfig, error)
	EventInvokeConfig(name, qualifier string) (*function.EventInvokeConfig, error)
	DeleteEventInvokeConfig(name, qualifier string) error
	ListEventInvokeConfigs(name string) ([]*function.EventInvokeConfig, error)

	PublishVersion(name, description string, check func(*function.Function) error) (*function.Config, bool, error)
	Version(name, version string) (*function.Config, error)
	Versions(name string) ([]*function.Config, error)
	DeleteVersion(name, version string) error
	CreateAlias(a *function.Alias) error
	Alias(name, alias string) (*function.Alias, error)
	UpdateAlias(name, alias string, change func(*function.Alias) error) (*function.Alias, error)
	DeleteAlias(name, alias string) error
	Aliases(name string) ([]*function.Alias, error)
	PutProvisioned(p *function.Provisioned) error
	Provisioned(name, qualifier string) (*function.Provisioned, error)
	DeleteProvisioned(name, qualifier string) error
	ProvisionedConfigs(name string) ([]*function.Provisioned, error)
	LayerStore
}

// CodeStore keeps code packages by content.
type CodeStore interface {
	Put(zip []byte) (codestore.Info, error)
	ZipPath(sha string) (string, error)
	Delete(sha string) error
	UnzippedSize(sha string) (int64, error)
	// Hold serialises, per digest, storing code and recording a reference
	// to it against removing it (see code.go).
	Hold(sha string) (release func())
	GC(keep func(sha string) bool) (int, error)
}

// Verifier authenticates a request signed with SigV4 in two steps: its
// head before any of its body is read, then (Pending.Finish) the signature
// over the body's hash. SigV4 adapts a *sigv4.Verifier.
type Verifier interface {
	Authenticate(r *http.Request) (Pending, error)
}

// Pending is a request whose head authenticated (see sigv4.Pending).
type Pending interface {
	Identity() sigv4.Identity
	RequireSigned(header string) error
	Finish(bodySum [sha256.Size]byte, bodyLen int64) (sigv4.Identity, error)
}

// SigV4 makes v a Verifier.
func SigV4(v *sigv4.Verifier) Verifier { return sigv4Verifier{v} }

type sigv4Verifier struct{ v *sigv4.Verifier }

func (s sigv4Verifier) Authenticate(r *http.Request) (Pending, error) {
	p, err := s.v.Authenticate(r)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Invoker runs invocations and learns about changes to functions.
type Invoker interface {
	Invoke(ctx context.Context, req *InvokeRequest) (*InvokeResult, error)
	// FunctionChanged tells the invoker that a function was created, that
	// its code or configuration changed or that it was deleted, so that
	// environments of older revisions retire and its next start can be
	// prepared.
	FunctionChanged(name string)
	// ProvisionStatus reports the provisioned environments of the
	// configuration of a version or alias.
	ProvisionStatus(name, qualifier string) pool.ProvisionStatus
	// PrepareAlias warms the provisioned environments an alias needs after
	// a change, before the change is stored.
	PrepareAlias(ctx context.Context, next *function.Alias)
}

// Environments lists live execution environments (Hearth's own API).
type Environments interface {
	Environments() []pool.Snapshot
}

// Options configures a Server. Store, Code, Verifier and Invoker are required.
type Options struct {
	Store    Store
	Code     CodeStore
	Verifier Verifier
	Invoker  Invoker
	// Environments, when set, serves GET /hearth/environments.
	Environments Environments
	// Cluster, when set, serves GET /hearth/cluster.
	Cluster ClusterStatus
	// Metrics, when set, serves GET /hearth/metrics (signed) in
	// Prometheus's text format.
	Metrics http.Handler
	// Logs, when set, serves GET /hearth/logs/{name}.
	Logs Logs
	// Policies, when set, serves AddPermission, GetPolicy and
	// RemovePermission; function URLs consult it.
	Policies Policies
	// URLs, when set, serves the function URL configuration API and the
	// URLs themselves (requests whose Host is <url-id>.lambda-url.*).
	URLs URLStore
	// URLPort is the port in the function URLs Hearth hands out, and
	// URLScheme their scheme ("http" when empty; "https" when the API
	// listener speaks TLS).
	URLPort   string
	URLScheme string
	// LogGroups, when set, serves the CloudWatch Logs API (requests
	// with X-Amz-Target Logs_20140328.*).
	LogGroups LogGroups
	// Rules, when set, serves EventBridge's scheduled rules API;
	// RulesChanged hears of every change.
	Rules        RuleStore
	RulesChanged RulesChanged
	Region       string
	Account      string
	// ConcurrencyLimit is the account's concurrent executions, reported by
	// GetAccountSettings.
	ConcurrencyLimit int
	// MinUnreserved is the concurrency that reservations and provisioned
	// concurrency must leave unreserved (Lambda: 100).
	MinUnreserved int
	// URLKey signs the code download URLs of GetFunction. Required.
	URLKey []byte
	// MaxBodyBytesInFlight caps the request body bytes held by all requests
	// at once; a request that would pass it is answered 429. Default
	// DefaultMaxBodyBytesInFlight.
	MaxBodyBytesInFlight int64
	// Images pulls the images of PackageType Image functions; nil refuses
	// them.
	Images Images
	// Sessions checks the session credentials of execution environments;
	// nil refuses every session key.
	Sessions Sessions
	Logger   *slog.Logger
}

// Server is the HTTP handler of Hearth's API.
type Server struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux
	// eventsOps are the EventBridge operations by X-Amz-Target.
	eventsOps map[string]func([]byte) (any, error)
	// fnLocks serialises read-modify-write sequences per function name that
	// span the code store and the metadata store.
	fnLocks keyedLocks
	// budget bounds the request body bytes held at once.
	budget bodyBudget
	// invokeRoute is the Invoke route's handler, which the Front runs
	// for the Invokes it serves itself.
	invokeRoute http.HandlerFunc
	// layerMu orders layer publishes and deletes (exclusive) against
	// functions taking up layer versions (shared), so that no code a
	// function or layer is about to refer to is removed meanwhile.
	layerMu sync.RWMutex
}

// New returns a Server ready to serve.
func New(opts Options) *Server {
	s := &Server{opts: opts, log: opts.Logger, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.budget.max = opts.MaxBodyBytesInFlight
	if s.budget.max <= 0 {
		s.budget.max = DefaultMaxBodyBytesInFlight
	}
	s.eventsOps = s.eventsHandlers()
	s.routes()
	return s
}

// Size limits of request bodies, from Lambda's quotas.
const (
	maxInvokeRequest = 6291456
	maxManageRequest = 70167211 // a 50 MB zip, base64-encoded, with room for the rest of the request
	maxSmallRequest  = 1 << 20
)

type handler func(w http.ResponseWriter, r *http.Request, body []byte) error

func (s *Server) routes() {
	fn := "/2015-03-31/functions"
	s.handle("POST "+fn, "CreateFunction", maxManageRequest, s.createFunction)
	s.handle("GET "+fn+"/{$}", "ListFunctions", maxSmallRequest, s.listFunctions)
	s.handle("GET "+fn, "ListFunctions", maxSmallRequest, s.listFunctions)
	s.handle("GET "+fn+"/{name}", "GetFunction", maxSmallRequest, s.getFunction)
	s.handle("DELETE "+fn+"/{name}", "DeleteFunction", maxSmallRequest, s.deleteFunction)
	s.handle("GET "+fn+"/{name}/configuration", "GetFunctionConfiguration", maxSmallRequest, s.getFunctionConfiguration)
	s.handle("PUT "+fn+"/{name}/configuration", "UpdateFunctionConfiguration", maxSmallRequest, s.updateFunctionConfiguration)
	s.handle("PUT "+fn+"/{name}/code", "UpdateFunctionCode", maxManageRequest, s.updateFunctionCode)
	s.handle("POST "+fn+"/{name}/invocations", "InvokeFunction", maxInvokeRequest, s.invoke)
	s.handle("POST /2021-11-15/functions/{name}/response-streaming-invocations", "InvokeWithResponseStream", maxInvokeRequest, s.invokeStream)
	eic := "/2019-09-25/functions/{name}/event-invoke-config"
	s.handle("PUT "+eic, "PutFunctionEventInvokeConfig", maxSmallRequest, s.putEventInvokeConfig(true))
	s.handle("POST "+eic, "UpdateFunctionEventInvokeConfig", maxSmallRequest, s.putEventInvokeConfig(false))
	s.handle("GET "+eic, "GetFunctionEventInvokeConfig", maxSmallRequest, s.getEventInvokeConfig)
	s.handle("DELETE "+eic, "DeleteFunctionEventInvokeConfig", maxSmallRequest, s.deleteEventInvokeConfig)
	s.handle("GET "+eic+"/list", "ListFunctionEventInvokeConfigs", maxSmallRequest, s.listEventInvokeConfigs)
	s.versionRoutes()
	s.layerRoutes()
	s.policyRoutes()
	s.urlRoutes()
	s.handle("POST /2017-03-31/tags/{arn}", "TagResource", maxSmallRequest, s.tagResource)
	s.handle("DELETE /2017-03-31/tags/{arn}", "UntagResource", maxSmallRequest, s.untagResource)
	s.handle("GET /2017-03-31/tags/{arn}", "ListTags", maxSmallRequest, s.listTags)
	s.handle("GET /2016-08-19/account-settings/{$}", "GetAccountSettings", maxSmallRequest, s.accountSettings)
	s.handle("GET /2016-08-19/account-settings", "GetAccountSettings", maxSmallRequest, s.accountSettings)
	s.mux.HandleFunc("GET /hearth/code/{sha}", s.downloadCode)
	s.handle("GET /hearth/environments", "ListEnvironments", maxSmallRequest, s.listEnvironments)
	s.handle("GET /hearth/cluster", "GetClusterStatus", maxSmallRequest, s.clusterStatus)
	s.handle("GET /hearth/metrics", "GetMetrics", maxSmallRequest, func(w http.ResponseWriter, r *http.Request, _ []byte) error {
		if s.opts.Metrics == nil {
			return errorf(http.StatusNotFound, typeNotFound, "metrics are not enabled")
		}
		s.opts.Metrics.ServeHTTP(w, r)
		return nil
	})
	s.handle("GET /hearth/logs/{name}", "ReadLogs", maxSmallRequest, s.readLogs)
	s.mux.HandleFunc("POST /{$}", s.serveEvents)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errorf(http.StatusNotFound, "UnknownOperationException", "Unknown operation "+sanitize(r.Method+" "+r.URL.Path)))
	})
}

// handle registers h behind SigV4 authentication and body reading.
func (s *Server) handle(pattern, op string, limit int64, h handler) {
	route := func(w http.ResponseWriter, r *http.Request) {
		body, id, release, err := s.authenticateID(r, "lambda", limit)
		defer release()
		if errors.Is(err, errBodyTooLarge) {
			err = tooLarge(op, limit)
		}
		if err == nil {
			err = s.checkRefScope(r.PathValue("name")+r.PathValue("arn"), op)
		}
		if err == nil {
			err = s.authorize(r, id, op)
		}
		if err == nil {
			extendDeadlines(w, op)
			err = h(w, r, body)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	}
	if pattern == invokePattern {
		s.invokeRoute = route
	}
	s.mux.HandleFunc(pattern, route)
}

// ServeHTTP implements http.Handler. Every answer carries a request id
// (x-amzn-RequestId; Invoke replaces it with the invocation's), and a
// handler that panics is answered 500 ServiceException while the server
// stays up.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", function.NewUUID())
	defer s.recoverPanic(w, r)
	if id := urlHostID(r.Host); id != "" && s.opts.URLs != nil {
		s.serveURL(w, r, id)
		return
	}
	if isLogsRequest(r) {
		s.serveLogs(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// serveFrontInvoke is ServeHTTP for an Invoke the Front parsed itself,
// which is neither a function URL's nor a CloudWatch Logs request. The
// request id is made only if the answer goes out without the
// invocation's (frontWriter.requestID).
func (s *Server) serveFrontInvoke(w *frontWriter, r *http.Request) {
	defer s.recoverPanic(w, r)
	s.invokeRoute(w, r)
}

// lock serialises changes to one function.
func (s *Server) lock(name string) func() {
	return s.fnLocks.lock(name)
}

func (s *Server) sign(data string) []byte {
	m := hmac.New(sha256.New, s.opts.URLKey)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// listEnvironments is Hearth's own view of its execution environments, for
// `hearth ps` and tests: GET /hearth/environments[?function=NAME].
func (s *Server) listEnvironments(w http.ResponseWriter, r *http.Request, _ []byte) error {
	if s.opts.Environments == nil {
		return errorf(http.StatusNotFound, typeNotFound, "environment listing is not enabled")
	}
	fn := r.URL.Query().Get("function")
	out := []pool.Snapshot{}
	for _, e := range s.opts.Environments.Environments() {
		if fn == "" || e.Function == fn {
			out = append(out, e)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"Environments": out})
	return nil
}
