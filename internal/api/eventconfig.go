package api

import (
	"net/http"
	"strconv"

	"github.com/hearth-run/hearth/internal/function"
)

type destination struct {
	Destination string `json:"Destination,omitempty"`
}

type destinationConfig struct {
	OnSuccess *destination `json:"OnSuccess,omitempty"`
	OnFailure *destination `json:"OnFailure,omitempty"`
}

type eventInvokeConfigInput struct {
	MaximumRetryAttempts     *int               `json:"MaximumRetryAttempts"`
	MaximumEventAgeInSeconds *int               `json:"MaximumEventAgeInSeconds"`
	DestinationConfig        *destinationConfig `json:"DestinationConfig"`
}

type eventInvokeConfigOutput struct {
	LastModified             float64           `json:"LastModified"`
	FunctionArn              string            `json:"FunctionArn"`
	MaximumRetryAttempts     *int              `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int              `json:"MaximumEventAgeInSeconds,omitempty"`
	DestinationConfig        destinationConfig `json:"DestinationConfig"`
}

func (s *Server) eventConfigOutput(c *function.EventInvokeConfig) eventInvokeConfigOutput {
	out := eventInvokeConfigOutput{
		LastModified:             float64(c.LastModified.UnixMilli()) / 1000,
		FunctionArn:              function.QualifiedARN(s.opts.Region, s.opts.Account, c.Function, c.Qualifier),
		MaximumRetryAttempts:     c.MaximumRetryAttempts,
		MaximumEventAgeInSeconds: c.MaximumEventAgeSecs,
	}
	out.DestinationConfig.OnSuccess = &destination{Destination: c.OnSuccess}
	out.DestinationConfig.OnFailure = &destination{Destination: c.OnFailure}
	return out
}

// eventConfigTarget resolves the function and qualifier of an event invoke
// config request; the qualifier defaults to $LATEST.
func (s *Server) eventConfigTarget(r *http.Request) (function.Ref, error) {
	fn, ref, err := s.lookup(r)
	if err != nil {
		return ref, err
	}
	if ref.Qualifier == "" {
		ref.Qualifier = function.Latest
	}
	if _, err := s.config(fn, ref); err != nil {
		return ref, err
	}
	return ref, nil
}

// applyEventConfig validates in and applies it to c; replace clears what in
// does not set (Put), otherwise in is merged (Update).
func (s *Server) applyEventConfig(c *function.EventInvokeConfig, in *eventInvokeConfigInput, replace bool) error {
	if v := in.MaximumRetryAttempts; v != nil && (*v < 0 || *v > 2) {
		return rangeError("maximumRetryAttempts", *v, 0, 2)
	}
	if v := in.MaximumEventAgeInSeconds; v != nil && (*v < 60 || *v > 21600) {
		return rangeError("maximumEventAgeInSeconds", *v, 60, 21600)
	}
	if replace {
		*c = function.EventInvokeConfig{Function: c.Function, Qualifier: c.Qualifier}
	}
	if in.MaximumRetryAttempts != nil {
		c.MaximumRetryAttempts = in.MaximumRetryAttempts
	}
	if in.MaximumEventAgeInSeconds != nil {
		c.MaximumEventAgeSecs = in.MaximumEventAgeInSeconds
	}
	if d := in.DestinationConfig; d != nil {
		for _, pair := range []struct {
			in  *destination
			out *string
		}{{d.OnSuccess, &c.OnSuccess}, {d.OnFailure, &c.OnFailure}} {
			if pair.in == nil {
				continue
			}
			if err := s.checkDestination(pair.in.Destination); err != nil {
				return err
			}
			*pair.out = pair.in.Destination
		}
	}
	return nil
}

// checkDestination accepts an empty destination or a Hearth function ARN:
// Hearth delivers invocation records to functions only.
func (s *Server) checkDestination(arn string) error {
	if arn == "" {
		return nil
	}
	if _, _, ok := function.ParseFunctionARN(arn); !ok {
		return errorf(http.StatusBadRequest, typeInvalidParam,
			"The destination ARN "+arn+" is invalid: Hearth delivers to Lambda function ARNs only.")
	}
	return nil
}

func rangeError(field string, v, lo, hi int) error {
	if v < lo {
		return errorf(http.StatusBadRequest, typeValidation, "1 validation error detected: Value '"+strconv.Itoa(v)+"' at '"+field+"' failed to satisfy constraint: Member must have value greater than or equal to "+strconv.Itoa(lo))
	}
	return errorf(http.StatusBadRequest, typeValidation, "1 validation error detected: Value '"+strconv.Itoa(v)+"' at '"+field+"' failed to satisfy constraint: Member must have value less than or equal to "+strconv.Itoa(hi))
}

func (s *Server) putEventInvokeConfig(replace bool) handler {
	return func(w http.ResponseWriter, r *http.Request, body []byte) error {
		var in eventInvokeConfigInput
		if err := decodeJSON(body, &in); err != nil {
			return err
		}
		ref, err := s.eventConfigTarget(r)
		if err != nil {
			return err
		}
		c, err := s.opts.Store.PutEventInvokeConfig(ref.Name, ref.Qualifier, func(c *function.EventInvokeConfig, existed bool) error {
			if !replace && !existed {
				return errorf(http.StatusNotFound, typeNotFound, "The function "+
					function.QualifiedARN(s.opts.Region, s.opts.Account, ref.Name, ref.Qualifier)+" doesn't have an EventInvokeConfig")
			}
			return s.applyEventConfig(c, &in, replace)
		})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, s.eventConfigOutput(c))
		return nil
	}
}

func (s *Server) getEventInvokeConfig(w http.ResponseWriter, r *http.Request, _ []byte) error {
	ref, err := s.eventConfigTarget(r)
	if err != nil {
		return err
	}
	c, err := s.opts.Store.EventInvokeConfig(ref.Name, ref.Qualifier)
	if err != nil {
		return errorf(http.StatusNotFound, typeNotFound, "The function "+
			function.QualifiedARN(s.opts.Region, s.opts.Account, ref.Name, ref.Qualifier)+" doesn't have an EventInvokeConfig")
	}
	writeJSON(w, http.StatusOK, s.eventConfigOutput(c))
	return nil
}

func (s *Server) deleteEventInvokeConfig(w http.ResponseWriter, r *http.Request, _ []byte) error {
	ref, err := s.eventConfigTarget(r)
	if err != nil {
		return err
	}
	if err := s.opts.Store.DeleteEventInvokeConfig(ref.Name, ref.Qualifier); err != nil {
		return errorf(http.StatusNotFound, typeNotFound, "The function "+
			function.QualifiedARN(s.opts.Region, s.opts.Account, ref.Name, ref.Qualifier)+" doesn't have an EventInvokeConfig")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listEventInvokeConfigs(w http.ResponseWriter, r *http.Request, _ []byte) error {
	_, ref, err := s.lookup(r)
	if err != nil {
		return err
	}
	cs, err := s.opts.Store.ListEventInvokeConfigs(ref.Name)
	if err != nil {
		return err
	}
	out := struct {
		FunctionEventInvokeConfigs []eventInvokeConfigOutput `json:"FunctionEventInvokeConfigs"`
	}{FunctionEventInvokeConfigs: []eventInvokeConfigOutput{}}
	for _, c := range cs {
		out.FunctionEventInvokeConfigs = append(out.FunctionEventInvokeConfigs, s.eventConfigOutput(c))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
