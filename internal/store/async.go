package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	bolt "go.etcd.io/bbolt"
)

var (
	bucketEventConfigs = []byte("eventInvokeConfigs")
	bucketRules        = []byte("rules")
)

// Rule is a scheduled EventBridge rule and its targets.
type Rule struct {
	Name               string       `json:"name"`
	ScheduleExpression string       `json:"scheduleExpression"`
	State              string       `json:"state"` // ENABLED or DISABLED
	Description        string       `json:"description,omitempty"`
	Targets            []RuleTarget `json:"targets,omitempty"`
	Created            time.Time    `json:"created"`
}

// RuleTarget is one target of a rule: a function and its constant input.
type RuleTarget struct {
	ID    string `json:"id"`
	ARN   string `json:"arn"`
	Input string `json:"input,omitempty"`
}

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

// PutRule creates or changes a rule.
func (s *Store) PutRule(name string, change func(r *Rule, existed bool) error) (*Rule, error) {
	var r Rule
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketRules)
		if err != nil {
			return err
		}
		existed := false
		if v := b.Get([]byte(name)); v != nil {
			existed = true
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode rule %s: %w", name, err)
			}
		} else {
			r = Rule{Name: name, State: "ENABLED", Created: time.Now().UTC()}
		}
		if err := change(&r, existed); err != nil {
			return err
		}
		return putJSON(b, []byte(name), &r)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// UpdateRule changes an existing rule.
func (s *Store) UpdateRule(name string, change func(r *Rule) error) (*Rule, error) {
	return s.PutRule(name, func(r *Rule, existed bool) error {
		if !existed {
			return fmt.Errorf("%w: rule %s", ErrNotFound, name)
		}
		return change(r)
	})
}

// Rule returns one rule.
func (s *Store) Rule(name string) (*Rule, error) {
	var r Rule
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRules)
		var v []byte
		if b != nil {
			v = b.Get([]byte(name))
		}
		if v == nil {
			return fmt.Errorf("%w: rule %s", ErrNotFound, name)
		}
		return json.Unmarshal(v, &r)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// DeleteRule removes a rule.
func (s *Store) DeleteRule(name string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRules)
		if b == nil || b.Get([]byte(name)) == nil {
			return fmt.Errorf("%w: rule %s", ErrNotFound, name)
		}
		return b.Delete([]byte(name))
	})
}

// ListRules returns every rule in name order.
func (s *Store) ListRules() ([]*Rule, error) {
	var out []*Rule
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRules)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			var r Rule
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, &r)
			return nil
		})
	})
	return out, err
}
