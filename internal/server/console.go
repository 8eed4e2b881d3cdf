package server

import (
	"net/http"

	"github.com/hearth-run/hearth/internal/console"
	"github.com/hearth-run/hearth/internal/function"
)

var _ console.Catalog = catalog{}

// withConsole serves the web console under /console/ and everything else
// with the API.
func (s *Server) withConsole(api http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/console/", s.console.Handler())
	mux.Handle("/", api)
	return mux
}

// catalogStore is what the console's catalog reads from the store.
type catalogStore interface {
	ListFunctions(marker string, max int) ([]*function.Function, string, error)
	ProvisionedConfigs(name string) ([]*function.Provisioned, error)
}

// catalog lists the functions for the console's functions view.
type catalog struct{ store catalogStore }

func (c catalog) Functions() ([]console.Function, error) {
	var out []console.Function
	marker := ""
	for range 1000 { // at most 50,000 functions
		page, next, err := c.store.ListFunctions(marker, 50)
		if err != nil {
			return nil, err
		}
		for _, fn := range page {
			out = append(out, c.describe(fn))
		}
		if next == "" {
			break
		}
		marker = next
	}
	return out, nil
}

func (c catalog) describe(fn *function.Function) console.Function {
	f := console.Function{Name: fn.Latest.Name, Runtime: fn.Latest.Runtime, Reserved: fn.ReservedConcurrency}
	if pcs, err := c.store.ProvisionedConfigs(f.Name); err == nil && len(pcs) > 0 {
		f.Provisioned = map[string]int{}
		for _, pc := range pcs {
			f.Provisioned[pc.Qualifier] = pc.Requested
		}
	}
	return f
}
