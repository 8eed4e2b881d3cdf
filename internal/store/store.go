// Package store keeps Hearth's metadata — functions, versions, aliases and
// the settings attached to them — in an embedded bbolt database.
//
// # Guarantees
//
// Every write is one bbolt transaction, fsync'd before it returns, so a
// change that was acknowledged survives kill -9, and a failed request leaves
// nothing half-written. The database file is locked while open: a second
// Hearth on the same data dir fails with ErrLocked instead of corrupting it.
//
// # Damage
//
// Open checks the database (integrity.go) and reports a damaged file as
// ErrCorrupt, never with a panic; with Options.Existing, a missing or empty
// file is ErrMissing rather than a fresh start. A marker file beside the
// database tells the next Open whether this run closed it cleanly.
package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
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
	// Existing says the data dir holds an earlier run's data (code, logs):
	// a missing or zero-length database is then ErrMissing, not a fresh
	// start that would silently forget every function.
	Existing bool
}

// Store is the metadata database.
type Store struct {
	db   *bolt.DB
	path string
	// Clean is false when the previous run did not shut down cleanly (Open
	// then checked the whole database before using it).
	Clean bool
}

// Open opens or creates the database at path and checks it: every way a
// damaged file can fail is ErrCorrupt, never a panic (see integrity.go).
func Open(path string, opts *Options) (*Store, error) {
	timeout := 500 * time.Millisecond
	existing := false
	if opts != nil {
		if opts.LockTimeout > 0 {
			timeout = opts.LockTimeout
		}
		existing = opts.Existing
	}
	db, clean, err := openChecked(path, timeout, existing)
	if err != nil {
		return nil, err
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
	if err := markOpen(path); err != nil {
		db.Close()
		return nil, fmt.Errorf("mark %s open: %w", path, err)
	}
	return &Store{db: db, path: path, Clean: clean}, nil
}

// DB returns the underlying database, for packages that keep their own
// buckets in it (the async queue).
func (s *Store) DB() *bolt.DB { return s.db }

// Close closes the database and, when that succeeded, removes the mark
// that it is open: the next Open knows this run shut down cleanly.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return err
	}
	if err := os.Remove(s.path + markerSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

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
