package jsstore

import (
	"fmt"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

// targetRevision returns the RevisionId of $LATEST, a version or an alias,
// or ErrNotFound when the qualifier does not exist.
func (d *funcDoc) targetRevision(qualifier string) (string, error) {
	name := d.Function.Latest.Name
	switch {
	case qualifier == "" || qualifier == function.Latest:
		return d.Function.Latest.RevisionID, nil
	case function.IsVersion(qualifier):
		v, ok := d.Versions[qualifier]
		if !ok {
			return "", fmt.Errorf("%w: %s:%s", store.ErrNotFound, name, qualifier)
		}
		return v.RevisionID, nil
	}
	a, ok := d.Aliases[qualifier]
	if !ok {
		return "", aliasNotFound(name, qualifier)
	}
	return a.RevisionID, nil
}

// AddStatement adds a statement to the policy of a function or one of its
// versions or aliases and gives the policy a new RevisionId.
func (s *Store) AddStatement(name, qualifier string, st function.Statement, check store.PolicyCheck) (*function.Policy, error) {
	var out function.Policy
	err := s.change(name, func(d *funcDoc) (op, error) {
		rev, err := d.targetRevision(qualifier)
		if err != nil {
			return keep, err
		}
		p := d.Policies[qualifier]
		if check != nil {
			if err := check(p, rev); err != nil {
				return keep, err
			}
		}
		if p == nil {
			p = &function.Policy{Function: name, Qualifier: qualifier}
		}
		if _, taken := p.Statement(st.Sid); taken {
			return keep, fmt.Errorf("%w: statement %s of %s:%s", store.ErrExists, st.Sid, name, qualifier)
		}
		p.Statements = append(p.Statements, st)
		p.RevisionID = function.NewRevisionID()
		setIn(&d.Policies, qualifier, p)
		out = *p
		return put, nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// RemoveStatement removes the statement with the given Sid; the policy
// goes away with its last statement.
func (s *Store) RemoveStatement(name, qualifier, sid string, check store.PolicyCheck) error {
	return s.change(name, func(d *funcDoc) (op, error) {
		rev, err := d.targetRevision(qualifier)
		if err != nil {
			return keep, err
		}
		p := d.Policies[qualifier]
		if p == nil {
			return keep, &store.PolicyNotFoundError{Function: name, Qualifier: qualifier}
		}
		if _, ok := p.Statement(sid); !ok {
			return keep, &store.PolicyNotFoundError{Function: name, Qualifier: qualifier, Sid: sid}
		}
		if check != nil {
			if err := check(p, rev); err != nil {
				return keep, err
			}
		}
		var kept []function.Statement
		for _, st := range p.Statements {
			if st.Sid != sid {
				kept = append(kept, st)
			}
		}
		if len(kept) == 0 {
			delete(d.Policies, qualifier)
			return put, nil
		}
		p.Statements = kept
		p.RevisionID = function.NewRevisionID()
		return put, nil
	})
}

// Policy returns the policy of a function or one of its versions or
// aliases.
func (s *Store) Policy(name, qualifier string) (*function.Policy, error) {
	d, err := s.doc(name)
	if err != nil {
		return nil, err
	}
	if _, err := d.targetRevision(qualifier); err != nil {
		return nil, err
	}
	p := d.Policies[qualifier]
	if p == nil {
		return nil, &store.PolicyNotFoundError{Function: name, Qualifier: qualifier}
	}
	return p, nil
}
