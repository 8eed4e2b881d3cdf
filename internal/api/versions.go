package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

// versionRoutes registers the API of versions, aliases, reserved and
// provisioned concurrency.
func (s *Server) versionRoutes() {
	fn := "/2015-03-31/functions/{name}"
	s.handle("POST "+fn+"/versions", "PublishVersion", maxSmallRequest, s.publishVersion)
	s.handle("GET "+fn+"/versions", "ListVersionsByFunction", maxSmallRequest, s.listVersions)
	s.handle("POST "+fn+"/aliases", "CreateAlias", maxSmallRequest, s.createAlias)
	s.handle("GET "+fn+"/aliases", "ListAliases", maxSmallRequest, s.listAliases)
	s.handle("GET "+fn+"/aliases/{alias}", "GetAlias", maxSmallRequest, s.getAlias)
	s.handle("PUT "+fn+"/aliases/{alias}", "UpdateAlias", maxSmallRequest, s.updateAlias)
	s.handle("DELETE "+fn+"/aliases/{alias}", "DeleteAlias", maxSmallRequest, s.deleteAlias)
	s.handle("PUT /2017-10-31/functions/{name}/concurrency", "PutFunctionConcurrency", maxSmallRequest, s.putConcurrency)
	s.handle("GET /2019-09-30/functions/{name}/concurrency", "GetFunctionConcurrency", maxSmallRequest, s.getConcurrency)
	s.handle("DELETE /2017-10-31/functions/{name}/concurrency", "DeleteFunctionConcurrency", maxSmallRequest, s.deleteConcurrency)
	pc := "/2019-09-30/functions/{name}/provisioned-concurrency"
	s.handle("PUT "+pc, "PutProvisionedConcurrencyConfig", maxSmallRequest, s.putProvisioned)
	s.handle("GET "+pc, "GetProvisionedConcurrencyConfig", maxSmallRequest, s.getProvisioned)
	s.handle("DELETE "+pc, "DeleteProvisionedConcurrencyConfig", maxSmallRequest, s.deleteProvisioned)
}

type publishInput struct {
	CodeSha256  string `json:"CodeSha256"`
	Description string `json:"Description"`
	RevisionId  string `json:"RevisionId"`
}

func (s *Server) publishVersion(w http.ResponseWriter, r *http.Request, body []byte) error {
	var in publishInput
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	ref, err := function.ParseRef(r.PathValue("name"))
	if err != nil {
		return err
	}
	if len(in.Description) > function.MaxDescriptionLen {
		return errorf(http.StatusBadRequest, typeValidation, "1 validation error detected: Value '"+in.Description+"' at 'description' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	unlock := s.lock(ref.Name)
	defer unlock()
	c, created, err := s.opts.Store.PublishVersion(ref.Name, in.Description, func(fn *function.Function) error {
		if in.RevisionId != "" && in.RevisionId != fn.Latest.RevisionID {
			return staleRevision()
		}
		if in.CodeSha256 != "" && in.CodeSha256 != fn.Latest.CodeSha256Base64 {
			return errorf(http.StatusBadRequest, typeInvalidParam, "CodeSHA256 ("+in.CodeSha256+
				") is different from current CodeSHA256 in $LATEST ("+fn.Latest.CodeSha256Base64+"). Please try again with the CodeSHA256 in $LATEST.")
		}
		return nil
	})
	if isNotFound(err) {
		return s.notFound(function.Ref{Name: ref.Name})
	}
	if err != nil {
		return err
	}
	if created {
		s.log.InfoContext(r.Context(), "version published", "function", ref.Name, "version", c.Version)
		s.opts.Invoker.FunctionChanged(ref.Name)
	}
	writeJSON(w, http.StatusCreated, s.configuration(c))
	return nil
}

func (s *Server) listVersions(w http.ResponseWriter, r *http.Request, _ []byte) error {
	fn, ref, err := s.lookup(r)
	if err != nil {
		return err
	}
	versions, err := s.opts.Store.Versions(ref.Name)
	if err != nil {
		return err
	}
	all := make([]functionConfiguration, 0, len(versions)+1)
	all = append(all, s.configuration(&fn.Latest))
	for _, v := range versions {
		all = append(all, s.configuration(v))
	}
	page, next, err := paginate(r, all)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"Versions": page, "NextMarker": omitEmpty(next)})
	return nil
}

// deleteVersion is DeleteFunction with a version qualifier.
func (s *Server) deleteVersion(w http.ResponseWriter, r *http.Request, ref function.Ref) error {
	if !function.IsVersion(ref.Qualifier) {
		return errorf(http.StatusBadRequest, typeInvalidParam, "Deletion of aliases is not supported through DeleteFunction; use DeleteAlias.")
	}
	unlock := s.lock(ref.Name)
	defer unlock()
	c, err := s.opts.Store.Version(ref.Name, ref.Qualifier)
	if err != nil {
		return s.notFound(ref)
	}
	err = s.opts.Store.DeleteVersion(ref.Name, ref.Qualifier)
	var inUse *store.InUseError
	if errors.As(err, &inUse) {
		return errorf(http.StatusConflict, typeConflict, "Unable to delete version because the following aliases reference it: ["+strings.Join(inUse.Aliases, ", ")+"]")
	}
	if err != nil {
		return s.notFound(ref)
	}
	s.opts.Invoker.FunctionChanged(ref.Name)
	s.dropCode(c.CodeSHA256)
	s.dropLayers(c.Layers, nil)
	s.log.InfoContext(r.Context(), "version deleted", "function", ref.Name, "version", ref.Qualifier)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// paginate applies Marker and MaxItems to a listing. Markers are
// positions in the listing.
func paginate[T any](r *http.Request, all []T) ([]T, string, error) {
	q := r.URL.Query()
	max := 50
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return nil, "", errorf(http.StatusBadRequest, typeValidation, "1 validation error detected: Value '"+v+"' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000")
		}
		max = n
	}
	start := 0
	if m := q.Get("Marker"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || n > len(all) {
			return nil, "", errorf(http.StatusBadRequest, typeInvalidParam, "Invalid Marker: "+m)
		}
		start = n
	}
	end := min(start+max, len(all))
	next := ""
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	return all[start:end], next, nil
}

// omitEmpty turns "" into nil so that JSON leaves the field null, as
// Lambda's listings do with NextMarker on their last page.
func omitEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
