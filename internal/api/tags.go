package api

import (
	"errors"
	"net/http"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// tagTarget resolves the {arn} of the tagging API to a function name.
func (s *Server) tagTarget(r *http.Request) (string, error) {
	arn := r.PathValue("arn")
	name, qualifier, ok := function.ParseFunctionARN(arn)
	if !ok || qualifier != "" {
		return "", errorf(http.StatusBadRequest, typeValidation, "1 validation error detected: Value '"+arn+"' at 'resource' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:function:[a-zA-Z0-9-_]+")
	}
	return name, nil
}

func (s *Server) tagResource(w http.ResponseWriter, r *http.Request, body []byte) error {
	name, err := s.tagTarget(r)
	if err != nil {
		return err
	}
	var in struct {
		Tags map[string]string `json:"Tags"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	if len(in.Tags) == 0 {
		return errorf(http.StatusBadRequest, typeInvalidParam, "A list of tags is required")
	}
	return s.changeTags(w, name, func(fn *function.Function) error {
		if fn.Tags == nil {
			fn.Tags = map[string]string{}
		}
		for k, v := range in.Tags {
			fn.Tags[k] = v
		}
		if len(fn.Tags) > 50 {
			return errorf(http.StatusBadRequest, typeInvalidParam, "Number of tags exceeds resource tag limit.")
		}
		return nil
	})
}

func (s *Server) untagResource(w http.ResponseWriter, r *http.Request, _ []byte) error {
	name, err := s.tagTarget(r)
	if err != nil {
		return err
	}
	keys := r.URL.Query()["tagKeys"]
	return s.changeTags(w, name, func(fn *function.Function) error {
		for _, k := range keys {
			delete(fn.Tags, k)
		}
		return nil
	})
}

func (s *Server) listTags(w http.ResponseWriter, r *http.Request, _ []byte) error {
	name, err := s.tagTarget(r)
	if err != nil {
		return err
	}
	fn, err := s.opts.Store.Function(name)
	if err != nil {
		return s.notFound(function.Ref{Name: name})
	}
	tags := fn.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"Tags": tags})
	return nil
}

// changeTags applies change to a function's tags and answers 204.
func (s *Server) changeTags(w http.ResponseWriter, name string, change func(*function.Function) error) error {
	_, err := s.opts.Store.UpdateFunction(name, change)
	if isNotFound(err) {
		return s.notFound(function.Ref{Name: name})
	}
	if err != nil {
		return err
	}
	s.opts.Invoker.FunctionChanged(name) // tags such as hearth:network shape new environments
	w.WriteHeader(http.StatusNoContent)
	return nil
}
