package store

import (
	"encoding/json"
	"fmt"

	"github.com/hearth-run/hearth/internal/function"
	bolt "go.etcd.io/bbolt"
)

// CreateAlias stores a new alias. It fails with ErrNotFound when the
// function or a version it routes to does not exist, and with ErrExists
// when the alias does.
func (s *Store) CreateAlias(a *function.Alias) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := checkTargets(tx, a); err != nil {
			return err
		}
		b := tx.Bucket(bucketAliases)
		key := childKey(a.Function, a.Name)
		if b.Get(key) != nil {
			return fmt.Errorf("%w: %s:%s", ErrExists, a.Function, a.Name)
		}
		return putJSON(b, key, a)
	})
}

// Alias returns an alias of a function.
func (s *Store) Alias(name, alias string) (*function.Alias, error) {
	var a function.Alias
	err := s.db.View(func(tx *bolt.Tx) error { return getAlias(tx, name, alias, &a) })
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// UpdateAlias applies change to a stored alias in one transaction; nothing
// is written when change fails or the alias then routes to a missing
// version.
func (s *Store) UpdateAlias(name, alias string, change func(*function.Alias) error) (*function.Alias, error) {
	var a function.Alias
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := getAlias(tx, name, alias, &a); err != nil {
			return err
		}
		if err := change(&a); err != nil {
			return err
		}
		if err := checkTargets(tx, &a); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketAliases), childKey(name, alias), &a)
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// DeleteAlias removes an alias and its provisioned concurrency
// configuration.
func (s *Store) DeleteAlias(name, alias string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var a function.Alias
		if err := getAlias(tx, name, alias, &a); err != nil {
			return err
		}
		if err := tx.Bucket(bucketAliases).Delete(childKey(name, alias)); err != nil {
			return err
		}
		if err := deleteQualifierExtras(tx, name, alias); err != nil {
			return err
		}
		return tx.Bucket(bucketProvisioned).Delete(childKey(name, alias))
	})
}

// Aliases returns the aliases of a function in name order.
func (s *Store) Aliases(name string) ([]*function.Alias, error) {
	var out []*function.Alias
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketFunctions).Get([]byte(name)) == nil {
			return fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return eachChild(tx.Bucket(bucketAliases), name, func(v []byte) error {
			var a function.Alias
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, &a)
			return nil
		})
	})
	return out, err
}

func getAlias(tx *bolt.Tx, name, alias string, a *function.Alias) error {
	if tx.Bucket(bucketFunctions).Get([]byte(name)) == nil {
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	v := tx.Bucket(bucketAliases).Get(childKey(name, alias))
	if v == nil {
		return fmt.Errorf("%w: alias %s:%s", ErrNotFound, name, alias)
	}
	return json.Unmarshal(v, a)
}

// checkTargets makes sure the function and every version an alias routes
// to exist.
func checkTargets(tx *bolt.Tx, a *function.Alias) error {
	if tx.Bucket(bucketFunctions).Get([]byte(a.Function)) == nil {
		return fmt.Errorf("%w: %s", ErrNotFound, a.Function)
	}
	versions := []string{a.Version}
	for v := range a.Weights {
		versions = append(versions, v)
	}
	for _, v := range versions {
		if v == function.Latest {
			continue
		}
		if tx.Bucket(bucketVersions).Get(versionKey(a.Function, v)) == nil {
			return &MissingVersionError{Function: a.Function, Version: v}
		}
	}
	return nil
}

// MissingVersionError names a version an alias would route to that does
// not exist.
type MissingVersionError struct {
	Function, Version string
}

func (e *MissingVersionError) Error() string {
	return "version not found: " + e.Function + ":" + e.Version
}

// Unwrap makes a MissingVersionError match ErrNotFound.
func (e *MissingVersionError) Unwrap() error { return ErrNotFound }

// PutProvisioned stores a provisioned concurrency configuration, replacing
// any for the same qualifier.
func (s *Store) PutProvisioned(p *function.Provisioned) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketFunctions).Get([]byte(p.Function)) == nil {
			return fmt.Errorf("%w: %s", ErrNotFound, p.Function)
		}
		return putJSON(tx.Bucket(bucketProvisioned), childKey(p.Function, p.Qualifier), p)
	})
}

// Provisioned returns the provisioned concurrency configuration of a
// version or alias.
func (s *Store) Provisioned(name, qualifier string) (*function.Provisioned, error) {
	var p function.Provisioned
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketProvisioned).Get(childKey(name, qualifier))
		if v == nil {
			return fmt.Errorf("%w: provisioned %s:%s", ErrNotFound, name, qualifier)
		}
		return json.Unmarshal(v, &p)
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// DeleteProvisioned removes a provisioned concurrency configuration.
func (s *Store) DeleteProvisioned(name, qualifier string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketProvisioned)
		if b.Get(childKey(name, qualifier)) == nil {
			return fmt.Errorf("%w: provisioned %s:%s", ErrNotFound, name, qualifier)
		}
		return b.Delete(childKey(name, qualifier))
	})
}

// ProvisionedConfigs returns the provisioned concurrency configurations of
// a function, or of all functions when name is "".
func (s *Store) ProvisionedConfigs(name string) ([]*function.Provisioned, error) {
	var out []*function.Provisioned
	err := s.db.View(func(tx *bolt.Tx) error {
		decode := func(v []byte) error {
			var p function.Provisioned
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			out = append(out, &p)
			return nil
		}
		if name == "" {
			return tx.Bucket(bucketProvisioned).ForEach(func(_, v []byte) error { return decode(v) })
		}
		return eachChild(tx.Bucket(bucketProvisioned), name, decode)
	})
	return out, err
}
