package function

import "strings"

// ActionInvoke is the action a service needs to invoke a function.
const ActionInvoke = "lambda:InvokeFunction"

// AllowsService reports whether the policy lets an AWS service (such as
// events.amazonaws.com) invoke the function on behalf of the resource
// sourceARN in sourceAccount: a statement allowing lambda:InvokeFunction
// (or lambda:*, or *) to that service or to "*", whose conditions, if any,
// hold for the source (AWS:SourceArn, AWS:SourceAccount). A statement with
// any other condition does not apply.
func (p *Policy) AllowsService(service, sourceARN, sourceAccount string) bool {
	if p == nil {
		return false
	}
	for _, st := range p.Statements {
		if st.Effect == "Allow" && invokeAction(st.Action) &&
			(publicPrincipal(st.Principal) || servicePrincipal(st.Principal, service)) &&
			sourceConditionsHold(st.Condition, sourceARN, sourceAccount) {
			return true
		}
	}
	return false
}

func invokeAction(a string) bool {
	return a == ActionInvoke || a == "lambda:*" || a == "*"
}

// servicePrincipal reports whether p is {"Service": service}, as
// AddPermission stores it (a map[string]string) or as it reads back from
// JSON (a map[string]any, possibly with a list of services).
func servicePrincipal(p any, service string) bool {
	switch v := p.(type) {
	case map[string]string:
		return v["Service"] == service
	case map[string]any:
		switch s := v["Service"].(type) {
		case string:
			return s == service
		case []any:
			for _, e := range s {
				if e == service {
					return true
				}
			}
		}
	}
	return false
}

// sourceConditionsHold evaluates a statement's conditions for a service
// invocation whose only known keys are the source's ARN and account.
func sourceConditionsHold(cond map[string]map[string]string, sourceARN, sourceAccount string) bool {
	for op, kv := range cond {
		for k, v := range kv {
			var got string
			switch strings.ToLower(k) {
			case "aws:sourcearn":
				got = sourceARN
			case "aws:sourceaccount":
				got = sourceAccount
			default:
				return false
			}
			if !conditionMatches(op, v, got) {
				return false
			}
		}
	}
	return true
}

// conditionMatches applies one IAM string or ARN operator.
func conditionMatches(op, want, got string) bool {
	switch op {
	case "StringEquals", "ArnEquals":
		return want == got
	case "StringLike", "ArnLike":
		return globMatch(want, got)
	}
	return false
}

// globMatch matches s against an IAM pattern where * is any run of
// characters (including / and :) and ? is one character.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	star, mark := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == s[sx]):
			px++
			sx++
		case px < len(pattern) && pattern[px] == '*':
			star, mark = px, sx
			px++
		case star >= 0:
			px = star + 1
			mark++
			sx = mark
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}
