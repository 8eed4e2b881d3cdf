package server

import (
	"errors"
	"log/slog"
	"sync"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

// eventsPrincipal is the service EventBridge invokes functions as.
const eventsPrincipal = "events.amazonaws.com"

// policyReader reads the resource-based policy of a function or qualifier.
type policyReader interface {
	Policy(name, qualifier string) (*function.Policy, error)
}

// rulePermit checks, as Lambda does for EventBridge, that a function's
// resource-based policy lets a rule invoke it. A refused target is logged
// once until it is allowed again, so a rule firing every second does not
// flood the log.
type rulePermit struct {
	policies policyReader
	account  string
	log      *slog.Logger
	warned   sync.Map // rule\x00target ARN -> struct{}
}

// allowed reports whether the rule ruleARN named rule may invoke the
// target function name:qualifier (qualifier "" or $LATEST for the
// unqualified function, whose policy then applies).
func (p *rulePermit) allowed(rule, ruleARN, targetARN, name, qualifier string) bool {
	if qualifier == function.Latest {
		qualifier = ""
	}
	pol, err := p.policies.Policy(name, qualifier)
	var missing *store.PolicyNotFoundError
	if err != nil && !errors.As(err, &missing) {
		p.warnOnce(rule, targetARN, "scheduled rule cannot read its target's resource policy, not invoking it",
			"rule", rule, "function", targetARN, "err", err)
		return false
	}
	if pol.AllowsService(eventsPrincipal, ruleARN, p.account) {
		p.warned.Delete(rule + "\x00" + targetARN)
		return true
	}
	p.warnOnce(rule, targetARN, "scheduled rule is not allowed to invoke its target, not invoking it (FailedInvocations): "+
		"the function's resource policy has no statement allowing "+eventsPrincipal+" "+function.ActionInvoke+" for this rule",
		"rule", rule, "function", targetARN, "principal", eventsPrincipal, "action", function.ActionInvoke, "sourceArn", ruleARN)
	return false
}

func (p *rulePermit) warnOnce(rule, targetARN, msg string, args ...any) {
	if _, seen := p.warned.LoadOrStore(rule+"\x00"+targetARN, struct{}{}); !seen {
		p.log.Warn(msg, args...)
	}
}
