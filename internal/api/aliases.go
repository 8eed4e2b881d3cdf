package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

// aliasConfiguration is Lambda's AliasConfiguration shape.
type aliasConfiguration struct {
	AliasArn        string         `json:"AliasArn"`
	Name            string         `json:"Name"`
	FunctionVersion string         `json:"FunctionVersion"`
	Description     string         `json:"Description"`
	RoutingConfig   *routingConfig `json:"RoutingConfig,omitempty"`
	RevisionId      string         `json:"RevisionId"`
}

type routingConfig struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights"`
}

func (s *Server) aliasShape(a *function.Alias) aliasConfiguration {
	out := aliasConfiguration{
		AliasArn: function.QualifiedARN(s.opts.Region, s.opts.Account, a.Function, a.Name),
		Name:     a.Name, FunctionVersion: a.Version, Description: a.Description, RevisionId: a.RevisionID,
	}
	if len(a.Weights) > 0 {
		out.RoutingConfig = &routingConfig{AdditionalVersionWeights: a.Weights}
	}
	return out
}

type aliasInput struct {
	Name            string          `json:"Name"`
	FunctionVersion *string         `json:"FunctionVersion"`
	Description     *string         `json:"Description"`
	RoutingConfig   json.RawMessage `json:"RoutingConfig"`
	RevisionId      string          `json:"RevisionId"`
}

// weights decodes RoutingConfig; ok is false when the request has none.
func (in *aliasInput) weights() (map[string]float64, bool, error) {
	if len(in.RoutingConfig) == 0 || string(in.RoutingConfig) == "null" {
		return nil, false, nil
	}
	var rc routingConfig
	if err := decodeJSON(in.RoutingConfig, &rc); err != nil {
		return nil, false, err
	}
	return rc.AdditionalVersionWeights, true, nil
}

func (s *Server) aliasNotFound(name, alias string) error {
	return errorf(http.StatusNotFound, typeNotFound, "Cannot find alias arn: "+function.QualifiedARN(s.opts.Region, s.opts.Account, name, alias))
}

// aliasStoreError turns the store's failures into Lambda's errors.
func (s *Server) aliasStoreError(name, alias string, err error) error {
	var mv *store.MissingVersionError
	switch {
	case errors.As(err, &mv):
		return s.notFound(function.Ref{Name: name, Qualifier: mv.Version})
	case errors.Is(err, store.ErrExists):
		return errorf(http.StatusConflict, typeConflict, "Alias already exists: "+function.QualifiedARN(s.opts.Region, s.opts.Account, name, alias))
	case isNotFound(err):
		if _, ferr := s.opts.Store.Function(name); ferr != nil {
			return s.notFound(function.Ref{Name: name})
		}
		return s.aliasNotFound(name, alias)
	}
	return err
}

func (s *Server) createAlias(w http.ResponseWriter, r *http.Request, body []byte) error {
	var in aliasInput
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	ref, err := function.ParseRef(r.PathValue("name"))
	if err != nil {
		return err
	}
	if err := function.ValidateAliasName(in.Name); err != nil {
		return err
	}
	if in.FunctionVersion == nil {
		return errorf(http.StatusBadRequest, typeValidation, "1 validation error detected: Value null at 'functionVersion' failed to satisfy constraint: Member must not be null")
	}
	a := &function.Alias{Name: in.Name, Function: ref.Name, Version: *in.FunctionVersion, RevisionID: function.NewRevisionID()}
	if in.Description != nil {
		a.Description = *in.Description
	}
	if err := function.ValidateFunctionVersion(a.Version); err != nil {
		return err
	}
	if a.Weights, _, err = in.weights(); err != nil {
		return err
	}
	if err := function.ValidateWeights(a.Version, a.Weights); err != nil {
		return err
	}
	unlock := s.lock(ref.Name)
	defer unlock()
	if err := s.opts.Store.CreateAlias(a); err != nil {
		return s.aliasStoreError(ref.Name, a.Name, err)
	}
	s.opts.Invoker.FunctionChanged(ref.Name)
	writeJSON(w, http.StatusCreated, s.aliasShape(a))
	return nil
}

func (s *Server) getAlias(w http.ResponseWriter, r *http.Request, _ []byte) error {
	ref, err := function.ParseRef(r.PathValue("name"))
	if err != nil {
		return err
	}
	a, err := s.opts.Store.Alias(ref.Name, r.PathValue("alias"))
	if err != nil {
		return s.aliasStoreError(ref.Name, r.PathValue("alias"), err)
	}
	writeJSON(w, http.StatusOK, s.aliasShape(a))
	return nil
}

func (s *Server) updateAlias(w http.ResponseWriter, r *http.Request, body []byte) error {
	var in aliasInput
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	ref, err := function.ParseRef(r.PathValue("name"))
	if err != nil {
		return err
	}
	name := r.PathValue("alias")
	weights, setWeights, err := in.weights()
	if err != nil {
		return err
	}
	change := func(a *function.Alias) error {
		if in.RevisionId != "" && in.RevisionId != a.RevisionID {
			return staleRevision()
		}
		if in.FunctionVersion != nil {
			if err := function.ValidateFunctionVersion(*in.FunctionVersion); err != nil {
				return err
			}
			a.Version = *in.FunctionVersion
		}
		if in.Description != nil {
			a.Description = *in.Description
		}
		if setWeights {
			a.Weights = weights
		}
		if err := function.ValidateWeights(a.Version, a.Weights); err != nil {
			return err
		}
		a.RevisionID = function.NewRevisionID()
		return nil
	}
	unlock := s.lock(ref.Name)
	defer unlock()
	// Dry run first, so that the provisioned environments of the new
	// versions are warm before the alias moves.
	cur, err := s.opts.Store.Alias(ref.Name, name)
	if err != nil {
		return s.aliasStoreError(ref.Name, name, err)
	}
	next := *cur
	if err := change(&next); err != nil {
		return err
	}
	if _, err := s.opts.Store.Provisioned(ref.Name, name); err == nil {
		s.opts.Invoker.PrepareAlias(r.Context(), &next)
	}
	a, err := s.opts.Store.UpdateAlias(ref.Name, name, change)
	if err != nil {
		s.opts.Invoker.FunctionChanged(ref.Name)
		return s.aliasStoreError(ref.Name, name, err)
	}
	s.opts.Invoker.FunctionChanged(ref.Name)
	s.log.InfoContext(r.Context(), "alias updated", "function", ref.Name, "alias", name, "version", a.Version)
	writeJSON(w, http.StatusOK, s.aliasShape(a))
	return nil
}

func (s *Server) deleteAlias(w http.ResponseWriter, r *http.Request, _ []byte) error {
	ref, err := function.ParseRef(r.PathValue("name"))
	if err != nil {
		return err
	}
	name := r.PathValue("alias")
	unlock := s.lock(ref.Name)
	defer unlock()
	if err := s.opts.Store.DeleteAlias(ref.Name, name); err != nil {
		if isNotFound(err) {
			if _, ferr := s.opts.Store.Function(ref.Name); ferr != nil {
				return s.notFound(function.Ref{Name: ref.Name})
			}
			return s.aliasNotFound(ref.Name, name)
		}
		return err
	}
	s.opts.Invoker.FunctionChanged(ref.Name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listAliases(w http.ResponseWriter, r *http.Request, _ []byte) error {
	ref, err := function.ParseRef(r.PathValue("name"))
	if err != nil {
		return err
	}
	aliases, err := s.opts.Store.Aliases(ref.Name)
	if err != nil {
		return s.notFound(function.Ref{Name: ref.Name})
	}
	version := r.URL.Query().Get("FunctionVersion")
	all := []aliasConfiguration{}
	for _, a := range aliases {
		if version == "" || a.Version == version {
			all = append(all, s.aliasShape(a))
		}
	}
	page, next, err := paginate(r, all)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"Aliases": page, "NextMarker": omitEmpty(next)})
	return nil
}
