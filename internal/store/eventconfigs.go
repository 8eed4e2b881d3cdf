package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	bolt "go.etcd.io/bbolt"
)

// bucketEventConfigs holds each function qualifier's asynchronous
// invocation settings (PutFunctionEventInvokeConfig).
var bucketEventConfigs = []byte("eventInvokeConfigs")

func eventConfigKey(name, qualifier string) []byte { return []byte(name + "\x00" + qualifier) }

// PutEventInvokeConfig stores the config of one function qualifier. change
// receives the stored config (zero when none) and edits it; the function
// must exist.
func (s *Store) PutEventInvokeConfig(name, qualifier string, change func(*function.EventInvokeConfig, bool) error) (*function.EventInvokeConfig, error) {
	var c function.EventInvokeConfig
	err := s.db.Update(func(tx *bolt.Tx) error {
		var fn function.Function
		if err := getFunction(tx, name, &fn); err != nil {
			return err
		}
		b, err := tx.CreateBucketIfNotExists(bucketEventConfigs)
		if err != nil {
			return err
		}
		key := eventConfigKey(name, qualifier)
		existed := false
		if v := b.Get(key); v != nil {
			existed = true
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode event invoke config %s:%s: %w", name, qualifier, err)
			}
		}
		c.Function, c.Qualifier = name, qualifier
		if err := change(&c, existed); err != nil {
			return err
		}
		c.LastModified = time.Now().UTC()
		return putJSON(b, key, &c)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// EventInvokeConfig returns the stored config of a function qualifier.
func (s *Store) EventInvokeConfig(name, qualifier string) (*function.EventInvokeConfig, error) {
	var c function.EventInvokeConfig
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEventConfigs)
		var v []byte
		if b != nil {
			v = b.Get(eventConfigKey(name, qualifier))
		}
		if v == nil {
			return fmt.Errorf("%w: event invoke config %s:%s", ErrNotFound, name, qualifier)
		}
		return json.Unmarshal(v, &c)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// DeleteEventInvokeConfig removes the config of a function qualifier.
func (s *Store) DeleteEventInvokeConfig(name, qualifier string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEventConfigs)
		key := eventConfigKey(name, qualifier)
		if b == nil || b.Get(key) == nil {
			return fmt.Errorf("%w: event invoke config %s:%s", ErrNotFound, name, qualifier)
		}
		return b.Delete(key)
	})
}

// ListEventInvokeConfigs returns the configs of all qualifiers of a function.
func (s *Store) ListEventInvokeConfigs(name string) ([]*function.EventInvokeConfig, error) {
	var out []*function.EventInvokeConfig
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEventConfigs)
		if b == nil {
			return nil
		}
		prefix := childPrefix(name)
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, v = c.Next() {
			var ec function.EventInvokeConfig
			if err := json.Unmarshal(v, &ec); err != nil {
				return err
			}
			out = append(out, &ec)
		}
		return nil
	})
	return out, err
}
