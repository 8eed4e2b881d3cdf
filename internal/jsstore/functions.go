package jsstore

import (
	"fmt"
	"sort"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

// funcDoc is everything stored about one function, under its name.
type funcDoc struct {
	Function    function.Function                      `json:"function"`
	Versions    map[string]*function.Config            `json:"versions,omitempty"`
	Aliases     map[string]*function.Alias             `json:"aliases,omitempty"`
	Provisioned map[string]*function.Provisioned       `json:"provisioned,omitempty"`
	Events      map[string]*function.EventInvokeConfig `json:"eventInvokeConfigs,omitempty"`
	// Policies are keyed by qualifier, "" for the unqualified function.
	Policies map[string]*function.Policy `json:"policies,omitempty"`
	// URLs are keyed by qualifier, $LATEST for the unqualified function.
	URLs map[string]*function.URLConfig `json:"urls,omitempty"`
}

func notFound(name string) error { return fmt.Errorf("%w: %s", store.ErrNotFound, name) }

// doc reads a function's document.
func (s *Store) doc(name string) (*funcDoc, error) {
	return get[funcDoc](s.functions, name, notFound(name))
}

// change applies f to the document of an existing function.
func (s *Store) change(name string, f func(d *funcDoc) (op, error)) error {
	return mutate(s.functions, name, func(d *funcDoc, exists bool) (op, error) {
		if !exists {
			return keep, notFound(name)
		}
		return f(d)
	})
}

// CreateFunction stores a new function. It fails with store.ErrExists
// when the name is taken.
func (s *Store) CreateFunction(fn *function.Function) error {
	name := fn.Latest.Name
	return mutate(s.functions, name, func(d *funcDoc, exists bool) (op, error) {
		if exists {
			return keep, fmt.Errorf("%w: %s", store.ErrExists, name)
		}
		*d = funcDoc{Function: *fn}
		return put, nil
	})
}

// Function returns the stored function.
func (s *Store) Function(name string) (*function.Function, error) {
	d, err := s.doc(name)
	if err != nil {
		return nil, err
	}
	return &d.Function, nil
}

// UpdateFunction applies change to the stored function; nothing is
// written when change fails.
func (s *Store) UpdateFunction(name string, change func(*function.Function) error) (*function.Function, error) {
	var out function.Function
	err := s.change(name, func(d *funcDoc) (op, error) {
		if err := change(&d.Function); err != nil {
			return keep, err
		}
		out = d.Function
		return put, nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteFunction removes a function with everything that belongs to it.
func (s *Store) DeleteFunction(name string) error {
	var urls []*function.URLConfig
	err := s.change(name, func(d *funcDoc) (op, error) {
		urls = urls[:0]
		for _, u := range d.URLs {
			urls = append(urls, u)
		}
		return drop, nil
	})
	if err != nil {
		return err
	}
	for _, u := range urls {
		s.dropURLID(u.URLID)
	}
	return nil
}

// ListFunctions returns up to max functions in name order, starting after
// marker, and the marker of the next page ("" on the last page).
func (s *Store) ListFunctions(marker string, max int) ([]*function.Function, string, error) {
	docs, err := all[funcDoc](s.functions)
	if err != nil {
		return nil, "", err
	}
	sortDocs(docs)
	var out []*function.Function
	for _, d := range docs {
		if marker != "" && d.Function.Latest.Name <= marker {
			continue
		}
		if len(out) == max {
			return out, out[len(out)-1].Latest.Name, nil
		}
		out = append(out, &d.Function)
	}
	return out, "", nil
}

// CodeInUse reports whether any function, version or layer version refers
// to the code package with the given hex digest (a function's layers
// included). It reads every function and layer.
func (s *Store) CodeInUse(sha string) (bool, error) {
	docs, err := all[funcDoc](s.functions)
	if err != nil {
		return false, fmt.Errorf("code %s in use: %w", sha, err)
	}
	uses := func(c *function.Config) bool {
		if c.CodeSHA256 == sha {
			return true
		}
		for _, l := range c.Layers {
			if l.CodeSHA256 == sha {
				return true
			}
		}
		return false
	}
	for _, d := range docs {
		if uses(&d.Function.Latest) {
			return true, nil
		}
		for _, v := range d.Versions {
			if uses(v) {
				return true, nil
			}
		}
	}
	layers, err := all[layerDoc](s.layers)
	if err != nil {
		return false, fmt.Errorf("code %s in use: %w", sha, err)
	}
	for _, l := range layers {
		for _, lv := range l.Versions {
			if lv.CodeSHA256 == sha {
				return true, nil
			}
		}
	}
	return false, nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// setIn sets m[k] = v, making m when nil.
func setIn[V any](m *map[string]V, k string, v V) {
	if *m == nil {
		*m = map[string]V{}
	}
	(*m)[k] = v
}

// sortDocs orders function documents by name.
func sortDocs(docs []*funcDoc) {
	sort.Slice(docs, func(i, j int) bool { return docs[i].Function.Latest.Name < docs[j].Function.Latest.Name })
}
