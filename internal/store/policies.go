package store

import (
	"encoding/json"
	"fmt"

	"github.com/hearth-run/hearth/internal/function"
	bolt "go.etcd.io/bbolt"
)

// bucketPolicies holds resource-based policies keyed name\x00qualifier,
// the qualifier "" for the unqualified function.
var bucketPolicies = []byte("policies")

// PolicyCheck may refuse a policy change: it sees the stored policy (nil
// when there is none) and the RevisionId of the function version or alias
// the policy belongs to.
type PolicyCheck func(p *function.Policy, targetRevision string) error

// AddStatement adds a statement to the policy of a function or one of its
// versions or aliases, creating the policy if needed, and gives the policy
// a new RevisionId. It fails with ErrNotFound when the function or the
// qualifier does not exist, and with ErrExists when the Sid is taken.
func (s *Store) AddStatement(name, qualifier string, st function.Statement, check PolicyCheck) (*function.Policy, error) {
	var out *function.Policy
	err := s.db.Update(func(tx *bolt.Tx) error {
		p, rev, err := loadPolicy(tx, name, qualifier)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(p, rev); err != nil {
				return err
			}
		}
		if p == nil {
			p = &function.Policy{Function: name, Qualifier: qualifier}
		}
		if _, taken := p.Statement(st.Sid); taken {
			return fmt.Errorf("%w: statement %s of %s:%s", ErrExists, st.Sid, name, qualifier)
		}
		p.Statements = append(p.Statements, st)
		p.RevisionID = function.NewRevisionID()
		out = p
		return putPolicy(tx, p)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RemoveStatement removes the statement with the given Sid; the policy
// goes away with its last statement. It fails with ErrNotFound (as a
// *PolicyNotFoundError saying what was missing) when the function, the
// policy or the statement does not exist.
func (s *Store) RemoveStatement(name, qualifier, sid string, check PolicyCheck) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		p, rev, err := loadPolicy(tx, name, qualifier)
		if err != nil {
			return err
		}
		if p == nil {
			return &PolicyNotFoundError{Function: name, Qualifier: qualifier}
		}
		if _, ok := p.Statement(sid); !ok {
			return &PolicyNotFoundError{Function: name, Qualifier: qualifier, Sid: sid}
		}
		if check != nil {
			if err := check(p, rev); err != nil {
				return err
			}
		}
		kept := p.Statements[:0]
		for _, st := range p.Statements {
			if st.Sid != sid {
				kept = append(kept, st)
			}
		}
		p.Statements = kept
		if len(kept) == 0 {
			return tx.Bucket(bucketPolicies).Delete(childKey(name, qualifier))
		}
		p.RevisionID = function.NewRevisionID()
		return putPolicy(tx, p)
	})
}

// Policy returns the policy of a function or one of its versions or
// aliases. It fails with ErrNotFound when the function or qualifier does
// not exist, and with a *PolicyNotFoundError when it has no policy.
func (s *Store) Policy(name, qualifier string) (*function.Policy, error) {
	var out *function.Policy
	err := s.db.View(func(tx *bolt.Tx) error {
		p, _, err := loadPolicy(tx, name, qualifier)
		if err != nil {
			return err
		}
		if p == nil {
			return &PolicyNotFoundError{Function: name, Qualifier: qualifier}
		}
		out = p
		return nil
	})
	return out, err
}

// PolicyNotFoundError says that a function exists but has no policy, or no
// statement with Sid when Sid is set.
type PolicyNotFoundError struct {
	Function, Qualifier, Sid string
}

func (e *PolicyNotFoundError) Error() string {
	if e.Sid != "" {
		return "statement " + e.Sid + " not found in the policy of " + e.Function + ":" + e.Qualifier
	}
	return "no policy for " + e.Function + ":" + e.Qualifier
}

// Unwrap makes a PolicyNotFoundError match ErrNotFound.
func (e *PolicyNotFoundError) Unwrap() error { return ErrNotFound }

// loadPolicy returns the stored policy (nil when none) and the RevisionId
// of the target it belongs to, after checking that the target exists.
func loadPolicy(tx *bolt.Tx, name, qualifier string) (*function.Policy, string, error) {
	rev, err := targetRevision(tx, name, qualifier)
	if err != nil {
		return nil, "", err
	}
	b := tx.Bucket(bucketPolicies)
	if b == nil {
		return nil, rev, nil
	}
	v := b.Get(childKey(name, qualifier))
	if v == nil {
		return nil, rev, nil
	}
	var p function.Policy
	if err := json.Unmarshal(v, &p); err != nil {
		return nil, "", fmt.Errorf("decode policy %s:%s: %w", name, qualifier, err)
	}
	return &p, rev, nil
}

// targetRevision returns the RevisionId of $LATEST, a version or an alias.
func targetRevision(tx *bolt.Tx, name, qualifier string) (string, error) {
	var fn function.Function
	if err := getFunction(tx, name, &fn); err != nil {
		return "", err
	}
	switch {
	case qualifier == "" || qualifier == function.Latest:
		return fn.Latest.RevisionID, nil
	case function.IsVersion(qualifier):
		v := tx.Bucket(bucketVersions).Get(versionKey(name, qualifier))
		if v == nil {
			return "", fmt.Errorf("%w: %s:%s", ErrNotFound, name, qualifier)
		}
		var c function.Config
		if err := json.Unmarshal(v, &c); err != nil {
			return "", fmt.Errorf("decode version %s:%s: %w", name, qualifier, err)
		}
		return c.RevisionID, nil
	}
	var a function.Alias
	if err := getAlias(tx, name, qualifier, &a); err != nil {
		return "", err
	}
	return a.RevisionID, nil
}

func putPolicy(tx *bolt.Tx, p *function.Policy) error {
	b, err := tx.CreateBucketIfNotExists(bucketPolicies)
	if err != nil {
		return err
	}
	return putJSON(b, childKey(p.Function, p.Qualifier), p)
}
