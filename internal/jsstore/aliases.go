package jsstore

import (
	"errors"
	"fmt"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

func aliasNotFound(name, alias string) error {
	return fmt.Errorf("%w: alias %s:%s", store.ErrNotFound, name, alias)
}

// checkTargets makes sure every version an alias routes to exists.
func (d *funcDoc) checkTargets(a *function.Alias) error {
	versions := []string{a.Version}
	for v := range a.Weights {
		versions = append(versions, v)
	}
	for _, v := range versions {
		if v == function.Latest {
			continue
		}
		if _, ok := d.Versions[v]; !ok {
			return &store.MissingVersionError{Function: a.Function, Version: v}
		}
	}
	return nil
}

// CreateAlias stores a new alias.
func (s *Store) CreateAlias(a *function.Alias) error {
	return s.change(a.Function, func(d *funcDoc) (op, error) {
		if err := d.checkTargets(a); err != nil {
			return keep, err
		}
		if _, ok := d.Aliases[a.Name]; ok {
			return keep, fmt.Errorf("%w: %s:%s", store.ErrExists, a.Function, a.Name)
		}
		c := *a
		setIn(&d.Aliases, a.Name, &c)
		return put, nil
	})
}

// Alias returns an alias of a function.
func (s *Store) Alias(name, alias string) (*function.Alias, error) {
	d, err := s.doc(name)
	if err != nil {
		return nil, err
	}
	a, ok := d.Aliases[alias]
	if !ok {
		return nil, aliasNotFound(name, alias)
	}
	return a, nil
}

// UpdateAlias applies change to a stored alias; nothing is written when
// change fails or the alias then routes to a missing version.
func (s *Store) UpdateAlias(name, alias string, change func(*function.Alias) error) (*function.Alias, error) {
	var out function.Alias
	err := s.change(name, func(d *funcDoc) (op, error) {
		a, ok := d.Aliases[alias]
		if !ok {
			return keep, aliasNotFound(name, alias)
		}
		if err := change(a); err != nil {
			return keep, err
		}
		if err := d.checkTargets(a); err != nil {
			return keep, err
		}
		out = *a
		return put, nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteAlias removes an alias with its provisioned concurrency
// configuration, policy and URL.
func (s *Store) DeleteAlias(name, alias string) error {
	var gone string
	err := s.change(name, func(d *funcDoc) (op, error) {
		if _, ok := d.Aliases[alias]; !ok {
			return keep, aliasNotFound(name, alias)
		}
		delete(d.Aliases, alias)
		delete(d.Provisioned, alias)
		gone = d.dropQualifierExtras(alias)
		return put, nil
	})
	if err == nil && gone != "" {
		s.dropURLID(gone)
	}
	return err
}

// Aliases returns the aliases of a function in name order.
func (s *Store) Aliases(name string) ([]*function.Alias, error) {
	d, err := s.doc(name)
	if err != nil {
		return nil, err
	}
	var out []*function.Alias
	for _, k := range sortedKeys(d.Aliases) {
		out = append(out, d.Aliases[k])
	}
	return out, nil
}

func provisionedNotFound(name, qualifier string) error {
	return fmt.Errorf("%w: provisioned %s:%s", store.ErrNotFound, name, qualifier)
}

// PutProvisioned stores a provisioned concurrency configuration, replacing
// any for the same qualifier.
func (s *Store) PutProvisioned(p *function.Provisioned) error {
	return s.change(p.Function, func(d *funcDoc) (op, error) {
		c := *p
		setIn(&d.Provisioned, p.Qualifier, &c)
		return put, nil
	})
}

// Provisioned returns the provisioned concurrency configuration of a
// version or alias.
func (s *Store) Provisioned(name, qualifier string) (*function.Provisioned, error) {
	d, err := s.doc(name)
	if err != nil {
		return nil, provisionedNotFound(name, qualifier)
	}
	p, ok := d.Provisioned[qualifier]
	if !ok {
		return nil, provisionedNotFound(name, qualifier)
	}
	return p, nil
}

// DeleteProvisioned removes a provisioned concurrency configuration.
func (s *Store) DeleteProvisioned(name, qualifier string) error {
	return s.change(name, func(d *funcDoc) (op, error) {
		if _, ok := d.Provisioned[qualifier]; !ok {
			return keep, provisionedNotFound(name, qualifier)
		}
		delete(d.Provisioned, qualifier)
		return put, nil
	})
}

// ProvisionedConfigs returns the provisioned concurrency configurations of
// a function, or of all functions when name is "".
func (s *Store) ProvisionedConfigs(name string) ([]*function.Provisioned, error) {
	var docs []*funcDoc
	if name == "" {
		all, err := all[funcDoc](s.functions)
		if err != nil {
			return nil, err
		}
		docs = all
	} else {
		d, err := s.doc(name)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if d != nil {
			docs = []*funcDoc{d}
		}
	}
	sortDocs(docs)
	var out []*function.Provisioned
	for _, d := range docs {
		for _, q := range sortedKeys(d.Provisioned) {
			out = append(out, d.Provisioned[q])
		}
	}
	return out, nil
}
