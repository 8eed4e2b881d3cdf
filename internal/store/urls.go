package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	bolt "go.etcd.io/bbolt"
)

var (
	// bucketURLConfigs holds function URL configurations keyed
	// name\x00qualifier, $LATEST for the unqualified function.
	bucketURLConfigs = []byte("urlConfigs")
	// bucketURLIDs maps a URL id to the key of its configuration.
	bucketURLIDs = []byte("urlIDs")
)

// urlKey is the key of a URL configuration: "" and $LATEST are one.
func urlKey(name, qualifier string) []byte {
	if qualifier == "" {
		qualifier = function.Latest
	}
	return childKey(name, qualifier)
}

// CreateURLConfig stores a new function URL. It fails with ErrNotFound
// when the function or alias does not exist and with ErrExists when the
// qualifier already has a URL.
func (s *Store) CreateURLConfig(c *function.URLConfig) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if _, err := targetRevision(tx, c.Function, c.Qualifier); err != nil {
			return err
		}
		b, err := tx.CreateBucketIfNotExists(bucketURLConfigs)
		if err != nil {
			return err
		}
		ids, err := tx.CreateBucketIfNotExists(bucketURLIDs)
		if err != nil {
			return err
		}
		key := urlKey(c.Function, c.Qualifier)
		if b.Get(key) != nil {
			return fmt.Errorf("%w: url of %s:%s", ErrExists, c.Function, c.Qualifier)
		}
		if ids.Get([]byte(c.URLID)) != nil {
			return fmt.Errorf("%w: url id %s", ErrExists, c.URLID)
		}
		if err := ids.Put([]byte(c.URLID), key); err != nil {
			return err
		}
		return putJSON(b, key, c)
	})
}

// URLConfig returns the URL configuration of $LATEST or an alias.
func (s *Store) URLConfig(name, qualifier string) (*function.URLConfig, error) {
	var c *function.URLConfig
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		c, err = getURLConfig(tx, urlKey(name, qualifier))
		return err
	})
	return c, err
}

// URLConfigByID returns the URL configuration with the given URL id.
func (s *Store) URLConfigByID(id string) (*function.URLConfig, error) {
	var c *function.URLConfig
	err := s.db.View(func(tx *bolt.Tx) error {
		ids := tx.Bucket(bucketURLIDs)
		var key []byte
		if ids != nil {
			key = ids.Get([]byte(id))
		}
		if key == nil {
			return fmt.Errorf("%w: url id %s", ErrNotFound, id)
		}
		var err error
		c, err = getURLConfig(tx, key)
		return err
	})
	return c, err
}

// UpdateURLConfig applies change to a stored URL configuration.
func (s *Store) UpdateURLConfig(name, qualifier string, change func(*function.URLConfig) error) (*function.URLConfig, error) {
	var c *function.URLConfig
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if c, err = getURLConfig(tx, urlKey(name, qualifier)); err != nil {
			return err
		}
		if err := change(c); err != nil {
			return err
		}
		c.LastModified = time.Now().UTC()
		return putJSON(tx.Bucket(bucketURLConfigs), urlKey(name, qualifier), c)
	})
	return c, err
}

// DeleteURLConfig removes the URL of $LATEST or an alias.
func (s *Store) DeleteURLConfig(name, qualifier string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if _, err := getURLConfig(tx, urlKey(name, qualifier)); err != nil {
			return err
		}
		return deleteURL(tx, urlKey(name, qualifier))
	})
}

// URLConfigs returns the URL configurations of a function.
func (s *Store) URLConfigs(name string) ([]*function.URLConfig, error) {
	var out []*function.URLConfig
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketFunctions).Get([]byte(name)) == nil {
			return fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		b := tx.Bucket(bucketURLConfigs)
		if b == nil {
			return nil
		}
		return eachChild(b, name, func(v []byte) error {
			var c function.URLConfig
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			out = append(out, &c)
			return nil
		})
	})
	return out, err
}

func getURLConfig(tx *bolt.Tx, key []byte) (*function.URLConfig, error) {
	b := tx.Bucket(bucketURLConfigs)
	var v []byte
	if b != nil {
		v = b.Get(key)
	}
	if v == nil {
		return nil, fmt.Errorf("%w: url config %q", ErrNotFound, key)
	}
	var c function.URLConfig
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, fmt.Errorf("decode url config %q: %w", key, err)
	}
	return &c, nil
}

// deleteURL removes the URL configuration under key and its id, if any.
func deleteURL(tx *bolt.Tx, key []byte) error {
	b := tx.Bucket(bucketURLConfigs)
	if b == nil {
		return nil
	}
	if v := b.Get(key); v != nil {
		var c function.URLConfig
		if json.Unmarshal(v, &c) == nil {
			if ids := tx.Bucket(bucketURLIDs); ids != nil {
				if err := ids.Delete([]byte(c.URLID)); err != nil {
					return err
				}
			}
		}
	}
	return b.Delete(key)
}

// deleteQualifierExtras removes the policy and URL of an alias or version
// that is going away.
func deleteQualifierExtras(tx *bolt.Tx, name, qualifier string) error {
	if b := tx.Bucket(bucketPolicies); b != nil {
		if err := b.Delete(childKey(name, qualifier)); err != nil {
			return err
		}
	}
	return deleteURL(tx, urlKey(name, qualifier))
}

// deleteFunctionURLs removes the URL ids of every URL of a function; the
// configurations themselves go with the function's other children.
func deleteFunctionURLs(tx *bolt.Tx, name string) error {
	b, ids := tx.Bucket(bucketURLConfigs), tx.Bucket(bucketURLIDs)
	if b == nil || ids == nil {
		return nil
	}
	return eachChild(b, name, func(v []byte) error {
		var c function.URLConfig
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		return ids.Delete([]byte(c.URLID))
	})
}
