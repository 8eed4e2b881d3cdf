package storetest

import (
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

var settingCases = []testCase{
	{"event invoke configs", func(t *testing.T, _ Harness, s store.Metadata) {
		_, err := s.PutEventInvokeConfig("ghost", function.Latest, func(*function.EventInvokeConfig, bool) error { return nil })
		wantErr(t, "config of a missing function", err, store.ErrNotFound)
		mustCreate(t, s, "f")
		two, three := 2, 3
		for i, max := range []*int{&two, &three} {
			c, err := s.PutEventInvokeConfig("f", function.Latest, func(c *function.EventInvokeConfig, existed bool) error {
				if existed != (i > 0) {
					t.Errorf("put %d: existed %v", i, existed)
				}
				c.MaximumRetryAttempts = max
				c.OnFailure = "arn:dest"
				return nil
			})
			if err != nil || c.Function != "f" || c.Qualifier != function.Latest || c.LastModified.IsZero() {
				t.Fatalf("put %d: %+v %v", i, c, err)
			}
		}
		c, err := s.EventInvokeConfig("f", function.Latest)
		if err != nil || *c.MaximumRetryAttempts != 3 || c.OnFailure != "arn:dest" {
			t.Fatalf("get config: %+v %v", c, err)
		}
		if _, err := s.PutEventInvokeConfig("f", "1", func(*function.EventInvokeConfig, bool) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if cs, _ := s.ListEventInvokeConfigs("f"); len(cs) != 2 {
			t.Fatalf("list configs: %+v", cs)
		}
		if err := s.DeleteEventInvokeConfig("f", "1"); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "second delete", s.DeleteEventInvokeConfig("f", "1"), store.ErrNotFound)
		_, err = s.EventInvokeConfig("f", "1")
		wantErr(t, "deleted config", err, store.ErrNotFound)
	}},
	{"rules", func(t *testing.T, _ Harness, s store.Metadata) {
		_, err := s.UpdateRule("r", func(*store.Rule) error { return nil })
		wantErr(t, "update of a missing rule", err, store.ErrNotFound)
		if rules, err := s.ListRules(); err != nil || len(rules) != 0 {
			t.Fatalf("rules of an empty store: %v %v", rules, err)
		}
		for _, name := range []string{"r", "a.b-c_d"} {
			r, err := s.PutRule(name, func(r *store.Rule, existed bool) error {
				if existed {
					t.Errorf("%s existed before its first put", name)
				}
				r.ScheduleExpression = "rate(1 minute)"
				return nil
			})
			if err != nil || r.State != "ENABLED" || r.Name != name || time.Since(r.Created) > time.Minute {
				t.Fatalf("put rule %s: %+v %v", name, r, err)
			}
		}
		if _, err := s.UpdateRule("r", func(r *store.Rule) error {
			r.Targets = append(r.Targets, store.RuleTarget{ID: "t", ARN: "arn", Input: `{"a":1}`})
			r.State = "DISABLED"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		r, err := s.Rule("r")
		if err != nil || r.State != "DISABLED" || len(r.Targets) != 1 || r.Targets[0].Input != `{"a":1}` {
			t.Fatalf("rule: %+v %v", r, err)
		}
		rules, _ := s.ListRules()
		if len(rules) != 2 || rules[0].Name != "a.b-c_d" || rules[1].Name != "r" {
			t.Fatalf("rules are not listed in name order: %+v", rules)
		}
		if err := s.DeleteRule("r"); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "second delete", s.DeleteRule("r"), store.ErrNotFound)
		_, err = s.Rule("r")
		wantErr(t, "deleted rule", err, store.ErrNotFound)
	}},
}
