package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

// Policies keeps the resource-based policies of functions, versions and
// aliases.
type Policies interface {
	AddStatement(name, qualifier string, st function.Statement, check store.PolicyCheck) (*function.Policy, error)
	RemoveStatement(name, qualifier, sid string, check store.PolicyCheck) error
	Policy(name, qualifier string) (*function.Policy, error)
}

var _ Policies = (*store.Store)(nil)

// policyDocument is the policy JSON Lambda returns, as a string, from
// GetPolicy.
type policyDocument struct {
	Version   string               `json:"Version"`
	ID        string               `json:"Id"`
	Statement []function.Statement `json:"Statement"`
}

func (s *Server) policyRoutes() {
	p := "/2015-03-31/functions/{name}/policy"
	s.handle("POST "+p, "AddPermission", maxSmallRequest, s.addPermission)
	s.handle("GET "+p, "GetPolicy", maxSmallRequest, s.getPolicy)
	s.handle("DELETE "+p+"/{sid}", "RemovePermission", maxSmallRequest, s.removePermission)
}

// policyTarget resolves the function and qualifier of a policy request;
// $LATEST is the unqualified function's policy.
func (s *Server) policyTarget(r *http.Request) (function.Ref, error) {
	if s.opts.Policies == nil {
		return function.Ref{}, errorf(http.StatusNotFound, typeNotFound, "resource policies are not enabled")
	}
	_, ref, err := s.lookup(r)
	return ref, err
}

// policyError turns the store's failures into Lambda's errors.
func (s *Server) policyError(ref function.Ref, err error) error {
	var pn *store.PolicyNotFoundError
	switch {
	case errors.As(err, &pn) && pn.Sid != "":
		return errorf(http.StatusNotFound, typeNotFound, "Statement "+pn.Sid+" is not found in resource policy.")
	case errors.As(err, &pn):
		return errorf(http.StatusNotFound, typeNotFound, "No policy is associated with the given resource.")
	case isNotFound(err):
		return s.notFound(ref)
	}
	return err
}

// revisionCheck refuses a change when the request's RevisionId is neither
// the policy's nor, before the first statement, its target's.
func revisionCheck(want, hint string) store.PolicyCheck {
	return func(p *function.Policy, target string) error {
		if want == "" {
			return nil
		}
		current := target
		if p != nil {
			current = p.RevisionID
		}
		if want != current {
			return errorf(http.StatusPreconditionFailed, typePrecondition,
				"The Revision Id provided does not match the latest Revision Id. Call the "+hint+" API to retrieve the latest Revision Id")
		}
		return nil
	}
}

func (s *Server) addPermission(w http.ResponseWriter, r *http.Request, body []byte) error {
	var in struct {
		StatementId, Action, Principal, SourceArn, SourceAccount string
		EventSourceToken, RevisionId, PrincipalOrgID             string
		FunctionUrlAuthType                                      string
	}
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	ref, err := s.policyTarget(r)
	if err != nil {
		return err
	}
	if ref.Qualifier == function.Latest {
		return errorf(http.StatusBadRequest, typeInvalidParam, "We currently do not support adding policies for $LATEST.")
	}
	perm := function.Permission{
		StatementID: in.StatementId, Action: in.Action, Principal: in.Principal, SourceARN: in.SourceArn,
		SourceAccount: in.SourceAccount, PrincipalOrgID: in.PrincipalOrgID, EventSourceToken: in.EventSourceToken,
		FunctionURLAuthType: in.FunctionUrlAuthType,
	}
	st, err := perm.Statement(function.QualifiedARN(s.opts.Region, s.opts.Account, ref.Name, ref.Qualifier))
	if err != nil {
		return err
	}
	_, err = s.opts.Policies.AddStatement(ref.Name, ref.Qualifier, st, revisionCheck(in.RevisionId, "GetPolicy"))
	if errors.Is(err, store.ErrExists) {
		return errorf(http.StatusConflict, typeConflict, "The statement id ("+st.Sid+") provided already exists. Please provide a new statement id, or remove the existing statement.")
	}
	if err != nil {
		return s.policyError(ref, err)
	}
	b, _ := json.Marshal(st)
	writeJSON(w, http.StatusCreated, map[string]string{"Statement": string(b)})
	return nil
}

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request, _ []byte) error {
	ref, err := s.policyTarget(r)
	if err != nil {
		return err
	}
	q := ref.Qualifier
	if q == function.Latest {
		q = ""
	}
	p, err := s.opts.Policies.Policy(ref.Name, q)
	var pn *store.PolicyNotFoundError
	if errors.As(err, &pn) {
		return errorf(http.StatusNotFound, typeNotFound, "The resource you requested does not exist.")
	}
	if err != nil {
		return s.policyError(ref, err)
	}
	doc, _ := json.Marshal(policyDocument{Version: "2012-10-17", ID: "default", Statement: p.Statements})
	writeJSON(w, http.StatusOK, map[string]string{"Policy": string(doc), "RevisionId": p.RevisionID})
	return nil
}

func (s *Server) removePermission(w http.ResponseWriter, r *http.Request, _ []byte) error {
	ref, err := s.policyTarget(r)
	if err != nil {
		return err
	}
	q := ref.Qualifier
	if q == function.Latest {
		q = ""
	}
	check := revisionCheck(r.URL.Query().Get("RevisionId"), "GetFunction/GetAlias")
	if err := s.opts.Policies.RemoveStatement(ref.Name, q, r.PathValue("sid"), check); err != nil {
		return s.policyError(ref, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
