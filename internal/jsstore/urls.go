package jsstore

import (
	"errors"
	"fmt"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

// urlOwner is what the URL id bucket holds: whose URL an id is.
type urlOwner struct {
	Function string `json:"function"`
	Key      string `json:"key"` // the qualifier, $LATEST for the unqualified function
}

// urlKey is the key of a URL configuration in its function's document:
// "" and $LATEST are one.
func urlKey(qualifier string) string {
	if qualifier == "" {
		return function.Latest
	}
	return qualifier
}

func urlNotFound(name, qualifier string) error {
	return fmt.Errorf("%w: url config %s:%s", store.ErrNotFound, name, urlKey(qualifier))
}

// CreateURLConfig stores a new function URL. The id is claimed first (a
// create that fails when the id exists) and released again when the
// configuration cannot be stored.
func (s *Store) CreateURLConfig(c *function.URLConfig) error {
	owner := urlOwner{Function: c.Function, Key: urlKey(c.Qualifier)}
	err := mutate(s.urlIDs, c.URLID, func(o *urlOwner, exists bool) (op, error) {
		if exists {
			return keep, fmt.Errorf("%w: url id %s", store.ErrExists, c.URLID)
		}
		*o = owner
		return put, nil
	})
	if err != nil {
		return err
	}
	err = s.change(c.Function, func(d *funcDoc) (op, error) {
		if _, err := d.targetRevision(c.Qualifier); err != nil {
			return keep, err
		}
		if _, ok := d.URLs[owner.Key]; ok {
			return keep, fmt.Errorf("%w: url of %s:%s", store.ErrExists, c.Function, c.Qualifier)
		}
		u := *c
		setIn(&d.URLs, owner.Key, &u)
		return put, nil
	})
	if err != nil {
		s.dropURLID(c.URLID)
	}
	return err
}

// URLConfig returns the URL configuration of $LATEST or an alias.
func (s *Store) URLConfig(name, qualifier string) (*function.URLConfig, error) {
	d, err := s.doc(name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, urlNotFound(name, qualifier)
	}
	if err != nil {
		return nil, err
	}
	u, ok := d.URLs[urlKey(qualifier)]
	if !ok {
		return nil, urlNotFound(name, qualifier)
	}
	return u, nil
}

// URLConfigByID returns the URL configuration with the given URL id.
func (s *Store) URLConfigByID(id string) (*function.URLConfig, error) {
	missing := fmt.Errorf("%w: url id %s", store.ErrNotFound, id)
	o, err := get[urlOwner](s.urlIDs, id, missing)
	if err != nil {
		return nil, err
	}
	u, err := s.URLConfig(o.Function, o.Key)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.URLID != id) {
		// An id left behind by a node that stopped between its two writes.
		return nil, missing
	}
	return u, err
}

// UpdateURLConfig applies change to a stored URL configuration.
func (s *Store) UpdateURLConfig(name, qualifier string, change func(*function.URLConfig) error) (*function.URLConfig, error) {
	var out function.URLConfig
	err := s.change(name, func(d *funcDoc) (op, error) {
		u, ok := d.URLs[urlKey(qualifier)]
		if !ok {
			return keep, urlNotFound(name, qualifier)
		}
		if err := change(u); err != nil {
			return keep, err
		}
		u.LastModified = time.Now().UTC()
		out = *u
		return put, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, urlNotFound(name, qualifier)
	}
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteURLConfig removes the URL of $LATEST or an alias.
func (s *Store) DeleteURLConfig(name, qualifier string) error {
	var id string
	err := s.change(name, func(d *funcDoc) (op, error) {
		u, ok := d.URLs[urlKey(qualifier)]
		if !ok {
			return keep, urlNotFound(name, qualifier)
		}
		id = u.URLID
		delete(d.URLs, urlKey(qualifier))
		return put, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return urlNotFound(name, qualifier)
	}
	if err == nil {
		s.dropURLID(id)
	}
	return err
}

// URLConfigs returns the URL configurations of a function.
func (s *Store) URLConfigs(name string) ([]*function.URLConfig, error) {
	d, err := s.doc(name)
	if err != nil {
		return nil, err
	}
	var out []*function.URLConfig
	for _, k := range sortedKeys(d.URLs) {
		out = append(out, d.URLs[k])
	}
	return out, nil
}

// dropURLID releases a URL id. A failure leaves an id that points at
// nothing, which URLConfigByID treats as missing, so it is only logged
// by being ignored.
func (s *Store) dropURLID(id string) {
	_ = mutate(s.urlIDs, id, func(*urlOwner, bool) (op, error) { return drop, nil })
}
