package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/hearth-run/hearth/internal/function"
)

type createFunctionInput struct {
	FunctionName  string            `json:"FunctionName"`
	Runtime       string            `json:"Runtime"`
	Role          string            `json:"Role"`
	Handler       string            `json:"Handler"`
	Description   string            `json:"Description"`
	Publish       bool              `json:"Publish"`
	Architectures []string          `json:"Architectures"`
	Tags          map[string]string `json:"Tags"`
	Layers        []string          `json:"Layers"`
	configFields
	PackageType string       `json:"PackageType"`
	ImageConfig *imageConfig `json:"ImageConfig"`
	Code        struct {
		ZipFile  []byte `json:"ZipFile"`
		S3Bucket string `json:"S3Bucket"`
		ImageUri string `json:"ImageUri"`
	} `json:"Code"`
}

func (s *Server) createFunction(w http.ResponseWriter, r *http.Request, body []byte) error {
	var in createFunctionInput
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	ref, err := function.ParseRef(in.FunctionName)
	if err != nil {
		return err
	}
	if err := s.checkRefScope(in.FunctionName, "CreateFunction"); err != nil {
		return err
	}
	if in.PackageType == function.PackageImage || in.Code.ImageUri != "" {
		return s.createImageFunction(w, r, &in, ref.Name)
	}
	if in.Code.S3Bucket != "" {
		return errorf(http.StatusBadRequest, typeInvalidParam, "Hearth has no S3: upload the package as Code.ZipFile.")
	}
	if len(in.Code.ZipFile) == 0 {
		return errorf(http.StatusBadRequest, typeInvalidParam, "Please provide a source for function code.")
	}
	if err := checkZipArch(in.Code.ZipFile); err != nil {
		return err
	}
	c := function.Config{
		Name: ref.Name, Runtime: in.Runtime, Role: in.Role, Handler: in.Handler,
		Description: in.Description, Architectures: in.Architectures,
	}
	c.ApplyDefaults()
	// Values given explicitly, zero included, override the defaults.
	if err := s.applyConfig(&c, &in.configFields); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	s.layerMu.RLock() // before the function's lock, as in every path that takes both
	defer s.layerMu.RUnlock()
	unlock := s.lock(c.Name)
	defer unlock()
	if c.Layers, err = s.withLayers(in.Layers, in.Code.ZipFile); err != nil {
		return err
	}
	if _, err := s.opts.Store.Function(c.Name); err == nil {
		return errorf(http.StatusConflict, typeConflict, "Function already exist: "+c.Name)
	}
	release := s.holdCode(in.Code.ZipFile)
	info, err := s.opts.Code.Put(in.Code.ZipFile)
	if err != nil {
		release()
		return err
	}
	c.CodeSHA256, c.CodeSha256Base64, c.CodeSize = info.SHA256, info.CodeSha256, info.Size
	c.Touch(time.Now())
	fn := &function.Function{Latest: c, Tags: in.Tags}
	err = s.opts.Store.CreateFunction(fn)
	release()
	if err != nil {
		s.dropCode(info.SHA256)
		return err
	}
	s.log.InfoContext(r.Context(), "function created", "function", c.Name, "runtime", c.Runtime, "codeSize", c.CodeSize)
	s.opts.Invoker.FunctionChanged(c.Name)
	if in.Publish {
		v, _, err := s.opts.Store.PublishVersion(c.Name, "", nil)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, s.configuration(v))
		return nil
	}
	writeJSON(w, http.StatusCreated, s.configuration(&fn.Latest))
	return nil
}

func (s *Server) lookup(r *http.Request) (*function.Function, function.Ref, error) {
	ref, err := function.ParseRef(r.PathValue("name"))
	if err != nil {
		return nil, ref, err
	}
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		if err := function.ValidateQualifier(q); err != nil {
			return nil, ref, err
		}
		if ref.Qualifier != "" && ref.Qualifier != q {
			return nil, ref, errorf(http.StatusBadRequest, typeInvalidParam, "The derived qualifier from the function name does not match the specified qualifier.")
		}
		ref.Qualifier = q
	}
	fn, err := s.opts.Store.Function(ref.Name)
	if err != nil {
		return nil, ref, s.notFound(ref)
	}
	return fn, ref, nil
}

func (s *Server) notFound(ref function.Ref) error {
	return errorf(http.StatusNotFound, typeNotFound,
		"Function not found: "+function.QualifiedARN(s.opts.Region, s.opts.Account, ref.Name, ref.Qualifier))
}

// config returns the configuration a qualifier names: $LATEST, a
// published version, or the primary version of an alias.
func (s *Server) config(fn *function.Function, ref function.Ref) (*function.Config, error) {
	version := ref.Qualifier
	if version == "" || version == function.Latest {
		return &fn.Latest, nil
	}
	if !function.IsVersion(version) {
		a, err := s.opts.Store.Alias(ref.Name, version)
		if err != nil {
			return nil, s.notFound(ref)
		}
		if version = a.Version; version == function.Latest {
			return &fn.Latest, nil
		}
	}
	c, err := s.opts.Store.Version(ref.Name, version)
	if err != nil {
		return nil, s.notFound(ref)
	}
	return c, nil
}

func (s *Server) getFunction(w http.ResponseWriter, r *http.Request, _ []byte) error {
	fn, c, err := s.lookupConfig(r)
	if err != nil {
		return err
	}
	out := map[string]any{
		"Configuration": s.configuration(c),
		"Code":          map[string]string{"RepositoryType": "S3", "Location": s.codeURL(r, c)},
	}
	if c.PackageType == function.PackageImage {
		out["Code"] = imageCode(c)
	}
	if len(fn.Tags) > 0 {
		out["Tags"] = fn.Tags
	}
	if fn.ReservedConcurrency != nil {
		out["Concurrency"] = map[string]int{"ReservedConcurrentExecutions": *fn.ReservedConcurrency}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// lookupConfig resolves the request's function and the configuration its
// qualifier names.
func (s *Server) lookupConfig(r *http.Request) (*function.Function, *function.Config, error) {
	fn, ref, err := s.lookup(r)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.config(fn, ref)
	return fn, c, err
}

func (s *Server) getFunctionConfiguration(w http.ResponseWriter, r *http.Request, _ []byte) error {
	_, c, err := s.lookupConfig(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.configuration(c))
	return nil
}

func (s *Server) listFunctions(w http.ResponseWriter, r *http.Request, _ []byte) error {
	q := r.URL.Query()
	max := 50
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return errorf(http.StatusBadRequest, typeValidation, "1 validation error detected: Value '"+v+"' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000")
		}
		max = n
	}
	fns, next, err := s.opts.Store.ListFunctions(q.Get("Marker"), max)
	if err != nil {
		return err
	}
	out := struct {
		Functions  []functionConfiguration `json:"Functions"`
		NextMarker string                  `json:"NextMarker,omitempty"`
	}{Functions: make([]functionConfiguration, 0, len(fns)), NextMarker: next}
	all, err := functionVersionAll(q.Get("FunctionVersion"))
	if err != nil {
		return err
	}
	for _, fn := range fns {
		out.Functions = append(out.Functions, s.configuration(&fn.Latest))
		if !all {
			continue
		}
		versions, err := s.opts.Store.Versions(fn.Latest.Name)
		if err != nil {
			return err
		}
		for _, v := range versions {
			if v.Version != function.Latest {
				out.Functions = append(out.Functions, s.configuration(v))
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) deleteFunction(w http.ResponseWriter, r *http.Request, _ []byte) error {
	_, ref, err := s.lookup(r)
	if err != nil {
		return err
	}
	if ref.Qualifier == function.Latest {
		return errorf(http.StatusBadRequest, typeInvalidParam, "$LATEST version cannot be deleted without deleting the function.")
	}
	if ref.Qualifier != "" {
		return s.deleteVersion(w, r, ref)
	}
	unlock := s.lock(ref.Name)
	defer unlock()
	if err := s.opts.Store.DeleteFunction(ref.Name); err != nil {
		return s.notFound(ref)
	}
	s.opts.Invoker.FunctionChanged(ref.Name)
	// Its versions' packages and its layers' go too, unless other
	// records refer to them.
	s.collectCode()
	s.log.InfoContext(r.Context(), "function deleted", "function", ref.Name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// functionVersionAll reads ListFunctions' FunctionVersion: ALL lists every
// published version after each function's $LATEST.
func functionVersionAll(v string) (bool, error) {
	switch v {
	case "":
		return false, nil
	case "ALL":
		return true, nil
	}
	return false, errorf(http.StatusBadRequest, typeValidation, "1 validation error detected: Value '"+sanitize(v)+
		"' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]")
}
