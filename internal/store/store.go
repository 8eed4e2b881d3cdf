// Package store keeps Hearth's metadata — functions, versions, aliases and
// the settings attached to them — in an embedded bbolt database.
//
// # Guarantees
//
// Every write is one bbolt transaction, fsync'd before it returns, so a
// change that was acknowledged survives kill -9, and a failed request leaves
// nothing half-written. The database file is locked while open: a second
// Hearth on the same data dir fails with ErrLocked instead of corrupting it.
package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	bolt "go.etcd.io/bbolt"
)

var (
	bucketFunctions = []byte("functions")
	bucketVersions  = []byte("versions")
	bucketAliases   = []byte("aliases")
	// bucketProvisioned holds provisioned concurrency configurations,
	// keyed like versions and aliases.
	bucketProvisioned = []byte("provisioned")
)

// Options tunes Open. The zero value is valid.
type Options struct {
	// LockTimeout is how long Open waits for another process's lock on the
	// database file before giving up with ErrLocked. Default 500ms.
	LockTimeout time.Duration
}

// Store is the metadata database.
type Store struct {
	db *bolt.DB
}

// Open opens or creates the database at path.
func Open(path string, opts *Options) (*Store, error) {
	timeout := 500 * time.Millisecond
	if opts != nil && opts.LockTimeout > 0 {
		timeout = opts.LockTimeout
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrLocked, path)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketFunctions, bucketVersions, bucketAliases, bucketProvisioned} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return initCodeRefs(tx)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// DB returns the underlying database, for packages that keep their own
// buckets in it (the async queue).
func (s *Store) DB() *bolt.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// CreateFunction stores a new function. It fails with ErrExists when the
// name is taken.
func (s *Store) CreateFunction(fn *function.Function) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFunctions)
		key := []byte(fn.Latest.Name)
		if b.Get(key) != nil {
			return fmt.Errorf("%w: %s", ErrExists, fn.Latest.Name)
		}
		if err := moveRefs(tx, nil, configCode(&fn.Latest)); err != nil {
			return err
		}
		return putJSON(b, key, fn)
	})
}

// Function returns the stored function.
func (s *Store) Function(name string) (*function.Function, error) {
	var fn function.Function
	err := s.db.View(func(tx *bolt.Tx) error {
		return getFunction(tx, name, &fn)
	})
	if err != nil {
		return nil, err
	}
	return &fn, nil
}

// UpdateFunction applies change to the stored function in one transaction.
// If change returns an error nothing is written.
func (s *Store) UpdateFunction(name string, change func(*function.Function) error) (*function.Function, error) {
	var fn function.Function
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := getFunction(tx, name, &fn); err != nil {
			return err
		}
		before := configCode(&fn.Latest)
		if err := change(&fn); err != nil {
			return err
		}
		if err := moveRefs(tx, before, configCode(&fn.Latest)); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketFunctions), []byte(name), &fn)
	})
	if err != nil {
		return nil, err
	}
	return &fn, nil
}

// DeleteFunction removes a function with all its versions and aliases.
func (s *Store) DeleteFunction(name string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFunctions)
		if err := dropFunctionRefs(tx, name); err != nil {
			return err
		}
		if err := b.Delete([]byte(name)); err != nil {
			return err
		}
		if err := deleteFunctionURLs(tx, name); err != nil {
			return err
		}
		for _, bn := range [][]byte{bucketVersions, bucketAliases, bucketProvisioned, bucketEventConfigs, bucketPolicies, bucketURLConfigs} {
			if b := tx.Bucket(bn); b != nil {
				if err := deletePrefix(b, childPrefix(name)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// ListFunctions returns up to max functions in name order, starting after
// marker, and the marker of the next page ("" on the last page).
func (s *Store) ListFunctions(marker string, max int) ([]*function.Function, string, error) {
	var out []*function.Function
	next := ""
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketFunctions).Cursor()
		k, v := c.First()
		if marker != "" {
			k, v = c.Seek([]byte(marker))
			if k != nil && string(k) == marker {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			if len(out) == max {
				next = out[len(out)-1].Latest.Name
				return nil
			}
			var fn function.Function
			if err := json.Unmarshal(v, &fn); err != nil {
				return fmt.Errorf("decode function %s: %w", k, err)
			}
			out = append(out, &fn)
		}
		return nil
	})
	return out, next, err
}

func getFunction(tx *bolt.Tx, name string, fn *function.Function) error {
	v := tx.Bucket(bucketFunctions).Get([]byte(name))
	if v == nil {
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err := json.Unmarshal(v, fn); err != nil {
		return fmt.Errorf("decode function %s: %w", name, err)
	}
	return nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// childPrefix is the key prefix of a function's versions and aliases.
func childPrefix(name string) []byte { return []byte(name + "\x00") }

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	var keys [][]byte
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// dropFunctionRefs drops the code references of a function and of all its
// versions, which are about to be deleted.
func dropFunctionRefs(tx *bolt.Tx, name string) error {
	var fn function.Function
	if err := getFunction(tx, name, &fn); err != nil {
		return err
	}
	drop := configCode(&fn.Latest)
	err := eachChild(tx.Bucket(bucketVersions), name, func(v []byte) error {
		var c function.Config
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("decode version of %s: %w", name, err)
		}
		drop = append(drop, configCode(&c)...)
		return nil
	})
	if err != nil {
		return err
	}
	return moveRefs(tx, drop, nil)
}
