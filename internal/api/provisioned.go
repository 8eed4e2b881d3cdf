package api

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/hearth-run/hearth/internal/function"
)

const typePCNotFound = "ProvisionedConcurrencyConfigNotFoundException"

// provisionedShape is Lambda's provisioned concurrency configuration, as
// Get and Put answer it and, with FunctionArn, as List does.
type provisionedShape struct {
	FunctionArn string `json:"FunctionArn,omitempty"`
	Requested   int    `json:"RequestedProvisionedConcurrentExecutions"`
	Available   int    `json:"AvailableProvisionedConcurrentExecutions"`
	Allocated   int    `json:"AllocatedProvisionedConcurrentExecutions"`
	Status      string `json:"Status"`
	Reason      string `json:"StatusReason,omitempty"`
	Modified    string `json:"LastModified"`
}

// provisionedOf reports a configuration with the live state of its
// environments.
func (s *Server) provisionedOf(pc *function.Provisioned) provisionedShape {
	st := s.opts.Invoker.ProvisionStatus(pc.Function, pc.Qualifier)
	out := provisionedShape{Requested: pc.Requested, Available: min(st.Ready, pc.Requested),
		Allocated: min(st.Ready, pc.Requested), Modified: pc.LastModified.Format(lambdaTime)}
	switch {
	case st.Failed != "":
		out.Status, out.Reason = "FAILED", st.Failed
	case st.Ready >= pc.Requested:
		out.Status = "READY"
	default:
		out.Status = "IN_PROGRESS"
	}
	return out
}

// provisionedRef parses the function and the required Qualifier of the
// provisioned concurrency API.
func (s *Server) provisionedRef(r *http.Request) (function.Ref, error) {
	ref, err := function.ParseRef(r.PathValue("name"))
	if err != nil {
		return ref, err
	}
	q := r.URL.Query().Get("Qualifier")
	if q == "" {
		q = ref.Qualifier
	}
	if q == "" {
		return ref, errorf(http.StatusBadRequest, typeValidation, "1 validation error detected: Value null at 'qualifier' failed to satisfy constraint: Member must not be null")
	}
	if err := function.ValidateQualifier(q); err != nil {
		return ref, err
	}
	ref.Qualifier = q
	return ref, nil
}

type provisionedInput struct {
	ProvisionedConcurrentExecutions *int `json:"ProvisionedConcurrentExecutions"`
}

func (s *Server) putProvisioned(w http.ResponseWriter, r *http.Request, body []byte) error {
	var in provisionedInput
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	ref, err := s.provisionedRef(r)
	if err != nil {
		return err
	}
	if in.ProvisionedConcurrentExecutions == nil {
		return errorf(http.StatusBadRequest, typeValidation, "1 validation error detected: Value null at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must not be null")
	}
	n := *in.ProvisionedConcurrentExecutions
	if n < 1 {
		return errorf(http.StatusBadRequest, typeValidation, "1 validation error detected: Value '"+strconv.Itoa(n)+"' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1")
	}
	if ref.Qualifier == function.Latest {
		return errorf(http.StatusBadRequest, typeInvalidParam, "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
	}
	unlock := s.lock(ref.Name)
	defer unlock()
	fn, err := s.opts.Store.Function(ref.Name)
	if err != nil {
		return s.notFound(function.Ref{Name: ref.Name})
	}
	if err := s.checkProvisionedTarget(ref); err != nil {
		return err
	}
	u, err := s.accountUsage()
	if err != nil {
		return err
	}
	old := 0
	if pc, err := s.opts.Store.Provisioned(ref.Name, ref.Qualifier); err == nil {
		old = pc.Requested
	}
	total := u.byFunction[ref.Name][1] - old + n
	if fn.ReservedConcurrency != nil && total > *fn.ReservedConcurrency {
		return errorf(http.StatusBadRequest, typeInvalidParam, "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function")
	}
	if fn.ReservedConcurrency == nil && s.opts.ConcurrencyLimit-u.reserved-u.provisioned+old-n < s.opts.MinUnreserved {
		return errorf(http.StatusBadRequest, typeInvalidParam, minimumMessage("ConcurrentExecutions", s.opts.MinUnreserved))
	}
	pc := &function.Provisioned{Function: ref.Name, Qualifier: ref.Qualifier, Requested: n, LastModified: time.Now().UTC()}
	if err := s.opts.Store.PutProvisioned(pc); err != nil {
		return err
	}
	s.opts.Invoker.FunctionChanged(ref.Name)
	s.log.InfoContext(r.Context(), "provisioned concurrency set", "function", ref.Name, "qualifier", ref.Qualifier, "count", n)
	out := s.provisionedOf(pc)
	writeJSON(w, http.StatusAccepted, out)
	return nil
}

// checkProvisionedTarget makes sure the qualifier names an existing
// version or alias, and that a version and an alias pointing to it are
// not both provisioned, as Lambda refuses.
func (s *Server) checkProvisionedTarget(ref function.Ref) error {
	if function.IsVersion(ref.Qualifier) {
		if _, err := s.opts.Store.Version(ref.Name, ref.Qualifier); err != nil {
			return s.notFound(ref)
		}
		aliases, _ := s.opts.Store.Aliases(ref.Name)
		for _, a := range aliases {
			if _, err := s.opts.Store.Provisioned(ref.Name, a.Name); err == nil && a.Version == ref.Qualifier {
				return errorf(http.StatusConflict, typeConflict, "Version is pointed by a Provisioned Concurrency alias")
			}
		}
		return nil
	}
	a, err := s.opts.Store.Alias(ref.Name, ref.Qualifier)
	if err != nil {
		return s.notFound(ref)
	}
	if a.Version == function.Latest {
		return errorf(http.StatusBadRequest, typeInvalidParam, "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
	}
	if _, err := s.opts.Store.Provisioned(ref.Name, a.Version); err == nil {
		return errorf(http.StatusConflict, typeConflict, "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version")
	}
	return nil
}

// getProvisioned serves GetProvisionedConcurrencyConfig, and
// ListProvisionedConcurrencyConfigs when the query has List=ALL.
func (s *Server) getProvisioned(w http.ResponseWriter, r *http.Request, _ []byte) error {
	if r.URL.Query().Get("List") == "ALL" {
		return s.listProvisioned(w, r)
	}
	ref, err := s.provisionedRef(r)
	if err != nil {
		return err
	}
	if _, err := s.opts.Store.Function(ref.Name); err != nil {
		return s.notFound(function.Ref{Name: ref.Name})
	}
	pc, err := s.opts.Store.Provisioned(ref.Name, ref.Qualifier)
	if err != nil {
		return errorf(http.StatusNotFound, typePCNotFound, "No Provisioned Concurrency Config found for this function")
	}
	writeJSON(w, http.StatusOK, s.provisionedOf(pc))
	return nil
}

func (s *Server) listProvisioned(w http.ResponseWriter, r *http.Request) error {
	ref, err := function.ParseRef(r.PathValue("name"))
	if err != nil {
		return err
	}
	if _, err := s.opts.Store.Function(ref.Name); err != nil {
		return s.notFound(function.Ref{Name: ref.Name})
	}
	configs, err := s.opts.Store.ProvisionedConfigs(ref.Name)
	if err != nil {
		return err
	}
	sort.Slice(configs, func(i, j int) bool { return configs[i].Qualifier < configs[j].Qualifier })
	all := make([]provisionedShape, 0, len(configs))
	for _, pc := range configs {
		item := s.provisionedOf(pc)
		item.FunctionArn = function.QualifiedARN(s.opts.Region, s.opts.Account, pc.Function, pc.Qualifier)
		all = append(all, item)
	}
	page, next, err := paginate(r, all)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"ProvisionedConcurrencyConfigs": page, "NextMarker": omitEmpty(next)})
	return nil
}

func (s *Server) deleteProvisioned(w http.ResponseWriter, r *http.Request, _ []byte) error {
	ref, err := s.provisionedRef(r)
	if err != nil {
		return err
	}
	unlock := s.lock(ref.Name)
	defer unlock()
	if _, err := s.opts.Store.Function(ref.Name); err != nil {
		return s.notFound(function.Ref{Name: ref.Name})
	}
	if err := s.opts.Store.DeleteProvisioned(ref.Name, ref.Qualifier); err != nil {
		return errorf(http.StatusNotFound, typePCNotFound, "No Provisioned Concurrency Config found for this function")
	}
	s.opts.Invoker.FunctionChanged(ref.Name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
