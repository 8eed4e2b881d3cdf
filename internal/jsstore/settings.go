package jsstore

import (
	"fmt"
	"sort"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

func eventConfigNotFound(name, qualifier string) error {
	return fmt.Errorf("%w: event invoke config %s:%s", store.ErrNotFound, name, qualifier)
}

// PutEventInvokeConfig stores the config of one function qualifier. change
// receives the stored config (zero when none) and edits it.
func (s *Store) PutEventInvokeConfig(name, qualifier string, change func(*function.EventInvokeConfig, bool) error) (*function.EventInvokeConfig, error) {
	var out function.EventInvokeConfig
	err := s.change(name, func(d *funcDoc) (op, error) {
		var c function.EventInvokeConfig
		existed := false
		if old, ok := d.Events[qualifier]; ok {
			c, existed = *old, true
		}
		c.Function, c.Qualifier = name, qualifier
		if err := change(&c, existed); err != nil {
			return keep, err
		}
		c.LastModified = time.Now().UTC()
		out = c
		setIn(&d.Events, qualifier, &c)
		return put, nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// EventInvokeConfig returns the stored config of a function qualifier.
func (s *Store) EventInvokeConfig(name, qualifier string) (*function.EventInvokeConfig, error) {
	d, err := s.doc(name)
	if err != nil {
		return nil, eventConfigNotFound(name, qualifier)
	}
	c, ok := d.Events[qualifier]
	if !ok {
		return nil, eventConfigNotFound(name, qualifier)
	}
	return c, nil
}

// DeleteEventInvokeConfig removes the config of a function qualifier.
func (s *Store) DeleteEventInvokeConfig(name, qualifier string) error {
	return s.change(name, func(d *funcDoc) (op, error) {
		if _, ok := d.Events[qualifier]; !ok {
			return keep, eventConfigNotFound(name, qualifier)
		}
		delete(d.Events, qualifier)
		return put, nil
	})
}

// ListEventInvokeConfigs returns the configs of all qualifiers of a
// function (none when the function does not exist).
func (s *Store) ListEventInvokeConfigs(name string) ([]*function.EventInvokeConfig, error) {
	d, err := s.doc(name)
	if err != nil {
		return nil, nil
	}
	var out []*function.EventInvokeConfig
	for _, q := range sortedKeys(d.Events) {
		out = append(out, d.Events[q])
	}
	return out, nil
}

// PutRule creates or changes a rule.
func (s *Store) PutRule(name string, change func(r *store.Rule, existed bool) error) (*store.Rule, error) {
	var out store.Rule
	err := mutate(s.rules, name, func(r *store.Rule, existed bool) (op, error) {
		if !existed {
			*r = store.Rule{Name: name, State: "ENABLED", Created: time.Now().UTC()}
		}
		if err := change(r, existed); err != nil {
			return keep, err
		}
		out = *r
		return put, nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateRule changes an existing rule.
func (s *Store) UpdateRule(name string, change func(r *store.Rule) error) (*store.Rule, error) {
	return s.PutRule(name, func(r *store.Rule, existed bool) error {
		if !existed {
			return fmt.Errorf("%w: rule %s", store.ErrNotFound, name)
		}
		return change(r)
	})
}

// Rule returns one rule.
func (s *Store) Rule(name string) (*store.Rule, error) {
	return get[store.Rule](s.rules, name, fmt.Errorf("%w: rule %s", store.ErrNotFound, name))
}

// DeleteRule removes a rule.
func (s *Store) DeleteRule(name string) error {
	return mutate(s.rules, name, func(_ *store.Rule, existed bool) (op, error) {
		if !existed {
			return keep, fmt.Errorf("%w: rule %s", store.ErrNotFound, name)
		}
		return drop, nil
	})
}

// ListRules returns every rule in name order.
func (s *Store) ListRules() ([]*store.Rule, error) {
	rules, err := all[store.Rule](s.rules)
	if err != nil {
		return nil, err
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].Name < rules[j].Name })
	return rules, nil
}
