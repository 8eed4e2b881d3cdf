package function

import (
	"encoding/json"
	"testing"
)

const testRuleARN = "arn:aws:events:us-east-1:000000000000:rule/warmer"

func servicePolicy(t *testing.T, perms ...Permission) *Policy {
	t.Helper()
	p := &Policy{Function: "fn"}
	for _, perm := range perms {
		st, err := perm.Statement("arn:aws:lambda:us-east-1:000000000000:function:fn")
		if err != nil {
			t.Fatal(err)
		}
		p.Statements = append(p.Statements, st)
	}
	return p
}

func TestAllowsService(t *testing.T) {
	events := "events.amazonaws.com"
	cases := []struct {
		name string
		perm Permission
		want bool
	}{
		{"service", Permission{Principal: events, Action: ActionInvoke}, true},
		{"any principal", Permission{Principal: "*", Action: ActionInvoke}, true},
		{"lambda star", Permission{Principal: events, Action: "lambda:*"}, true},
		{"other service", Permission{Principal: "s3.amazonaws.com", Action: ActionInvoke}, false},
		{"other action", Permission{Principal: events, Action: "lambda:GetFunction"}, false},
		{"url action", Permission{Principal: "*", Action: "lambda:InvokeFunctionUrl"}, false},
		{"source arn", Permission{Principal: events, Action: ActionInvoke, SourceARN: testRuleARN}, true},
		{"source arn wildcard", Permission{Principal: events, Action: ActionInvoke, SourceARN: "arn:aws:events:*:000000000000:rule/*"}, true},
		{"source arn mismatch", Permission{Principal: events, Action: ActionInvoke, SourceARN: testRuleARN + "2"}, false},
		{"source account", Permission{Principal: events, Action: ActionInvoke, SourceAccount: "000000000000"}, true},
		{"source account mismatch", Permission{Principal: events, Action: ActionInvoke, SourceAccount: "111111111111"}, false},
		{"unknown condition", Permission{Principal: events, Action: ActionInvoke, PrincipalOrgID: "o-abc"}, false},
	}
	for _, c := range cases {
		c.perm.StatementID = "s"
		p := servicePolicy(t, c.perm)
		if got := p.AllowsService(events, testRuleARN, "000000000000"); got != c.want {
			t.Errorf("%s: AllowsService = %v, want %v", c.name, got, c.want)
		}
		// The same after the JSON round trip the store makes.
		var back Policy
		b, _ := json.Marshal(p)
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if got := back.AllowsService(events, testRuleARN, "000000000000"); got != c.want {
			t.Errorf("%s after JSON: AllowsService = %v, want %v", c.name, got, c.want)
		}
	}
	var none *Policy
	if none.AllowsService(events, testRuleARN, "000000000000") {
		t.Error("a nil policy allows")
	}
}

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"a*c", "abbc", true}, {"a*c", "ab/c", true}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"*", "", true}, {"abc", "abd", false}, {"a*b*c", "axbyc", true}, {"a*b*c", "axbyd", false},
	} {
		if got := globMatch(c.p, c.s); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v", c.p, c.s, got)
		}
	}
}
