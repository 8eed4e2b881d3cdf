package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketRules holds the scheduled EventBridge rules.
var bucketRules = []byte("rules")

// The states of a rule.
const (
	RuleEnabled  = "ENABLED"  // the rule fires on its schedule
	RuleDisabled = "DISABLED" // the rule is kept but does not fire
)

// Rule is a scheduled EventBridge rule and its targets.
type Rule struct {
	Name               string       `json:"name"`
	ScheduleExpression string       `json:"scheduleExpression"`
	State              string       `json:"state"` // RuleEnabled or RuleDisabled
	Description        string       `json:"description,omitempty"`
	Targets            []RuleTarget `json:"targets,omitempty"`
	Created            time.Time    `json:"created"`
}

// RuleTarget is one target of a rule: a function ARN and its constant input
// ("" means EventBridge's scheduled event).
type RuleTarget struct {
	ID    string `json:"id"`
	ARN   string `json:"arn"`
	Input string `json:"input,omitempty"`
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
			r = Rule{Name: name, State: RuleEnabled, Created: time.Now().UTC()}
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
