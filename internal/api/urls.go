package api

import (
	"errors"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

// URLStore keeps the function URL configurations.
type URLStore interface {
	CreateURLConfig(c *function.URLConfig) error
	URLConfig(name, qualifier string) (*function.URLConfig, error)
	URLConfigByID(id string) (*function.URLConfig, error)
	UpdateURLConfig(name, qualifier string, change func(*function.URLConfig) error) (*function.URLConfig, error)
	DeleteURLConfig(name, qualifier string) error
	URLConfigs(name string) ([]*function.URLConfig, error)
}

var _ URLStore = (*store.Store)(nil)

// urlTime is the format of a function URL's CreationTime and
// LastModifiedTime.
const urlTime = "2006-01-02T15:04:05.000000Z"

// functionURLConfig is Lambda's FunctionUrlConfig shape.
type functionURLConfig struct {
	FunctionUrl      string         `json:"FunctionUrl"`
	FunctionArn      string         `json:"FunctionArn"`
	AuthType         string         `json:"AuthType"`
	Cors             *function.Cors `json:"Cors,omitempty"`
	CreationTime     string         `json:"CreationTime"`
	LastModifiedTime string         `json:"LastModifiedTime,omitempty"`
	InvokeMode       string         `json:"InvokeMode"`
}

type urlConfigInput struct {
	AuthType   *string        `json:"AuthType"`
	Cors       *function.Cors `json:"Cors"`
	InvokeMode *string        `json:"InvokeMode"`
}

// urlQualifierRE is Lambda's pattern for a URL's qualifier: $LATEST or an
// alias name (never a version number).
var urlQualifierRE = regexp.MustCompile(`^(\$LATEST|[0-9a-zA-Z_-]*[a-zA-Z_-][0-9a-zA-Z_-]*)$`)

func (s *Server) urlRoutes() {
	p := "/2021-10-31/functions/{name}/url"
	s.handle("POST "+p, "CreateFunctionUrlConfig", maxSmallRequest, s.createURLConfig)
	s.handle("GET "+p, "GetFunctionUrlConfig", maxSmallRequest, s.getURLConfig)
	s.handle("PUT "+p, "UpdateFunctionUrlConfig", maxSmallRequest, s.updateURLConfig)
	s.handle("DELETE "+p, "DeleteFunctionUrlConfig", maxSmallRequest, s.deleteURLConfig)
	s.handle("GET /2021-10-31/functions/{name}/urls", "ListFunctionUrlConfigs", maxSmallRequest, s.listURLConfigs)
}

// URL returns the address of a function URL served by this Hearth: the
// URL id, "lambda-url", the region and host "localhost" on the API's port.
func (s *Server) URL(id string) string {
	port := s.opts.URLPort
	if port == "" {
		port = "80"
	}
	scheme := s.opts.URLScheme
	if scheme == "" {
		scheme = "http"
	}
	return scheme + "://" + id + ".lambda-url." + s.opts.Region + ".localhost:" + port + "/"
}

func (s *Server) urlShape(c *function.URLConfig, modified bool) functionURLConfig {
	out := functionURLConfig{
		FunctionUrl: s.URL(c.URLID), FunctionArn: function.QualifiedARN(s.opts.Region, s.opts.Account, c.Function, c.Qualifier),
		AuthType: c.AuthType, Cors: c.Cors, CreationTime: c.Created.UTC().Format(urlTime), InvokeMode: c.InvokeMode,
	}
	if modified {
		out.LastModifiedTime = c.LastModified.UTC().Format(urlTime)
	}
	return out
}

// urlTarget parses the function and qualifier of a URL management request.
func (s *Server) urlTarget(r *http.Request) (function.Ref, error) {
	if s.opts.URLs == nil {
		return function.Ref{}, errorf(http.StatusNotFound, typeNotFound, "function URLs are not enabled")
	}
	ref, err := function.ParseRef(r.PathValue("name"))
	if err != nil {
		return ref, err
	}
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		if ref.Qualifier != "" && ref.Qualifier != q {
			return ref, errorf(http.StatusBadRequest, typeInvalidParam, "The derived qualifier from the function name does not match the specified qualifier.")
		}
		ref.Qualifier = q
	}
	if ref.Qualifier != "" && (len(ref.Qualifier) > 128 || !urlQualifierRE.MatchString(ref.Qualifier)) {
		return ref, errorf(http.StatusBadRequest, typeValidation, "1 validation error detected: Value '"+ref.Qualifier+
			"' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)")
	}
	return ref, nil
}

var errURLNotFound = errorf(http.StatusNotFound, typeNotFound, "The resource you requested does not exist.")

func (s *Server) createURLConfig(w http.ResponseWriter, r *http.Request, body []byte) error {
	ref, err := s.urlTarget(r)
	if err != nil {
		return err
	}
	var in urlConfigInput
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	if in.AuthType == nil {
		return errorf(http.StatusBadRequest, typeValidation, "1 validation error detected: Value null at 'authType' failed to satisfy constraint: Member must not be null")
	}
	c := &function.URLConfig{Function: ref.Name, Qualifier: ref.Qualifier, URLID: function.NewURLID(),
		AuthType: *in.AuthType, Cors: in.Cors, InvokeMode: function.InvokeBuffered}
	if in.InvokeMode != nil && *in.InvokeMode != "" {
		c.InvokeMode = *in.InvokeMode
	}
	if err := function.ValidateURLSettings(c.AuthType, c.InvokeMode, c.Cors); err != nil {
		return err
	}
	c.Created = time.Now().UTC()
	c.LastModified = c.Created
	err = s.opts.URLs.CreateURLConfig(c)
	switch {
	case errors.Is(err, store.ErrExists):
		return errorf(http.StatusConflict, typeConflict, "Failed to create function url config for [functionArn = "+
			function.QualifiedARN(s.opts.Region, s.opts.Account, ref.Name, ref.Qualifier)+"]. Error message:  FunctionUrlConfig exists for this Lambda function")
	case isNotFound(err):
		return errorf(http.StatusNotFound, typeNotFound, "Function does not exist")
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusCreated, s.urlShape(c, false))
	return nil
}

func (s *Server) getURLConfig(w http.ResponseWriter, r *http.Request, _ []byte) error {
	ref, err := s.urlTarget(r)
	if err != nil {
		return err
	}
	c, err := s.opts.URLs.URLConfig(ref.Name, ref.Qualifier)
	if isNotFound(err) {
		return errURLNotFound
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.urlShape(c, true))
	return nil
}

func (s *Server) updateURLConfig(w http.ResponseWriter, r *http.Request, body []byte) error {
	ref, err := s.urlTarget(r)
	if err != nil {
		return err
	}
	var in urlConfigInput
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	c, err := s.opts.URLs.UpdateURLConfig(ref.Name, ref.Qualifier, func(c *function.URLConfig) error {
		if in.AuthType != nil {
			c.AuthType = *in.AuthType
		}
		if in.Cors != nil {
			c.Cors = in.Cors
		}
		if in.InvokeMode != nil && *in.InvokeMode != "" {
			c.InvokeMode = *in.InvokeMode
		}
		return function.ValidateURLSettings(c.AuthType, c.InvokeMode, c.Cors)
	})
	if isNotFound(err) {
		return errURLNotFound
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.urlShape(c, true))
	return nil
}

func (s *Server) deleteURLConfig(w http.ResponseWriter, r *http.Request, _ []byte) error {
	ref, err := s.urlTarget(r)
	if err != nil {
		return err
	}
	if err := s.opts.URLs.DeleteURLConfig(ref.Name, ref.Qualifier); isNotFound(err) {
		return errURLNotFound
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listURLConfigs(w http.ResponseWriter, r *http.Request, _ []byte) error {
	ref, err := s.urlTarget(r)
	if err != nil {
		return err
	}
	max := 50
	if v := r.URL.Query().Get("MaxItems"); v != "" {
		if max, err = strconv.Atoi(v); err != nil || max < 1 || max > 50 {
			return errorf(http.StatusBadRequest, typeValidation, "1 validation error detected: Value '"+v+"' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 50")
		}
	}
	cs, err := s.opts.URLs.URLConfigs(ref.Name)
	if isNotFound(err) {
		return errorf(http.StatusNotFound, typeNotFound, "Function does not exist")
	}
	if err != nil {
		return err
	}
	out := struct {
		FunctionUrlConfigs []functionURLConfig `json:"FunctionUrlConfigs"`
		NextMarker         string              `json:"NextMarker,omitempty"`
	}{FunctionUrlConfigs: []functionURLConfig{}}
	marker := r.URL.Query().Get("Marker")
	for _, c := range cs {
		shape := s.urlShape(c, true)
		if marker != "" {
			if shape.FunctionArn == marker {
				marker = ""
			}
			continue
		}
		if len(out.FunctionUrlConfigs) == max {
			out.NextMarker = out.FunctionUrlConfigs[max-1].FunctionArn
			break
		}
		out.FunctionUrlConfigs = append(out.FunctionUrlConfigs, shape)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// urlHostID returns the URL id of a request whose Host is
// <id>.lambda-url.<region>.<anything>, or "".
func urlHostID(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	id, rest, _ := strings.Cut(strings.ToLower(host), ".")
	if label, _, ok := strings.Cut(rest, "."); !ok || label != "lambda-url" || !urlIDRE.MatchString(id) {
		return ""
	}
	return id
}

var urlIDRE = regexp.MustCompile(`^[a-z0-9]{32}$`)
