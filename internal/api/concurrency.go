package api

import (
	"net/http"
	"strconv"

	"github.com/hearth-run/hearth/internal/function"
)

// usage is how the account's concurrency is divided.
type usage struct {
	reserved int // sum of reservations
	// provisioned is the provisioned concurrency of functions without a
	// reservation (that of reserved functions is part of their reservation).
	provisioned int
	// byFunction is each function's reservation and provisioned total.
	byFunction map[string][2]int
}

// accountUsage adds up reservations and provisioned concurrency.
func (s *Server) accountUsage() (usage, error) {
	u := usage{byFunction: map[string][2]int{}}
	marker := ""
	for {
		fns, next, err := s.opts.Store.ListFunctions(marker, 1000)
		if err != nil {
			return u, err
		}
		for _, fn := range fns {
			name := fn.Latest.Name
			configs, err := s.opts.Store.ProvisionedConfigs(name)
			if err != nil {
				return u, err
			}
			prov := 0
			for _, pc := range configs {
				prov += pc.Requested
			}
			res := -1
			if fn.ReservedConcurrency != nil {
				res = *fn.ReservedConcurrency
				u.reserved += res
			} else {
				u.provisioned += prov
			}
			u.byFunction[name] = [2]int{res, prov}
		}
		if next == "" {
			return u, nil
		}
		marker = next
	}
}

// unreserved is the account's concurrency not reserved by any function nor
// provisioned for an unreserved one: GetAccountSettings'
// UnreservedConcurrentExecutions.
func (s *Server) unreserved() int {
	u, err := s.accountUsage()
	if err != nil {
		return s.opts.ConcurrencyLimit
	}
	return s.opts.ConcurrencyLimit - u.reserved - u.provisioned
}

func minimumMessage(what string, min int) string {
	return "Specified " + what + " for function decreases account's UnreservedConcurrentExecution below its minimum value of [" + strconv.Itoa(min) + "]."
}

type concurrencyBody struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions,omitempty"`
}

func (s *Server) putConcurrency(w http.ResponseWriter, r *http.Request, body []byte) error {
	var in concurrencyBody
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	ref, err := function.ParseRef(r.PathValue("name"))
	if err != nil {
		return err
	}
	if in.ReservedConcurrentExecutions == nil {
		return errorf(http.StatusBadRequest, typeValidation, "1 validation error detected: Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null")
	}
	n := *in.ReservedConcurrentExecutions
	if n < 0 {
		return errorf(http.StatusBadRequest, typeValidation, "1 validation error detected: Value '"+strconv.Itoa(n)+"' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0")
	}
	unlock := s.lock(ref.Name)
	defer unlock()
	fn, err := s.opts.Store.Function(ref.Name)
	if err != nil {
		return s.notFound(function.Ref{Name: ref.Name})
	}
	u, err := s.accountUsage()
	if err != nil {
		return err
	}
	mine := u.byFunction[ref.Name]
	if n < mine[1] {
		return errorf(http.StatusBadRequest, typeInvalidParam, "Specified ReservedConcurrentExecutions for function is less than the function's provisioned concurrency ["+strconv.Itoa(mine[1])+"].")
	}
	// What stays unreserved once this function reserves n instead of what
	// it holds now (its reservation, or its provisioned concurrency).
	held := mine[1]
	if fn.ReservedConcurrency != nil {
		held = *fn.ReservedConcurrency
	}
	if s.opts.ConcurrencyLimit-u.reserved-u.provisioned+held-n < s.opts.MinUnreserved {
		return errorf(http.StatusBadRequest, typeInvalidParam, minimumMessage("ReservedConcurrentExecutions", s.opts.MinUnreserved))
	}
	if _, err := s.opts.Store.UpdateFunction(ref.Name, func(fn *function.Function) error {
		fn.ReservedConcurrency = &n
		return nil
	}); err != nil {
		return err
	}
	s.opts.Invoker.FunctionChanged(ref.Name)
	s.log.InfoContext(r.Context(), "reserved concurrency set", "function", ref.Name, "reserved", n)
	writeJSON(w, http.StatusOK, concurrencyBody{ReservedConcurrentExecutions: &n})
	return nil
}

func (s *Server) getConcurrency(w http.ResponseWriter, r *http.Request, _ []byte) error {
	fn, _, err := s.lookup(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, concurrencyBody{ReservedConcurrentExecutions: fn.ReservedConcurrency})
	return nil
}

func (s *Server) deleteConcurrency(w http.ResponseWriter, r *http.Request, _ []byte) error {
	ref, err := function.ParseRef(r.PathValue("name"))
	if err != nil {
		return err
	}
	unlock := s.lock(ref.Name)
	defer unlock()
	if _, err := s.opts.Store.UpdateFunction(ref.Name, func(fn *function.Function) error {
		fn.ReservedConcurrency = nil
		return nil
	}); err != nil {
		return s.notFound(function.Ref{Name: ref.Name})
	}
	s.opts.Invoker.FunctionChanged(ref.Name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
