package function

import (
	"regexp"
	"strings"
)

// Policy is the resource-based policy of a function or of one of its
// versions or aliases: the statements AddPermission added.
type Policy struct {
	Function   string      `json:"function"`
	Qualifier  string      `json:"qualifier,omitempty"` // "" for the unqualified function
	Statements []Statement `json:"statements"`
	RevisionID string      `json:"revisionID"`
}

// Statement is one statement of a resource-based policy, with Lambda's
// field names and order, so that it marshals as GetPolicy shows it.
type Statement struct {
	Sid       string `json:"Sid"`
	Effect    string `json:"Effect"`
	Principal any    `json:"Principal"` // "*" or {"Service": ...} or {"AWS": ...}
	Action    string `json:"Action"`
	Resource  string `json:"Resource"`
	// Condition maps an operator (StringEquals, ArnLike) to keys and values.
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// Permission is what AddPermission asks for.
type Permission struct {
	StatementID         string
	Action              string
	Principal           string
	SourceARN           string
	SourceAccount       string
	PrincipalOrgID      string
	EventSourceToken    string
	FunctionURLAuthType string
}

var (
	statementIDRE = regexp.MustCompile(`^[a-zA-Z0-9-_.]+$`)
	actionRE      = regexp.MustCompile(`^(lambda:[*]|lambda:[a-zA-Z]+|[*])$`)
	accountRE     = regexp.MustCompile(`^\d{12}$`)
)

// Statement validates p and builds the statement Lambda stores for it on
// the resource with the given ARN.
func (p Permission) Statement(resource string) (Statement, error) {
	if p.StatementID == "" {
		return Statement{}, validationf("statementId", "null", "Member must not be null")
	}
	if len(p.StatementID) > 100 || !statementIDRE.MatchString(p.StatementID) {
		return Statement{}, validationf("statementId", p.StatementID, "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)")
	}
	if !actionRE.MatchString(p.Action) {
		return Statement{}, validationf("action", p.Action, "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])")
	}
	switch p.FunctionURLAuthType {
	case "", "NONE", "AWS_IAM":
	default:
		return Statement{}, validationf("functionUrlAuthType", p.FunctionURLAuthType, "Member must satisfy enum value set: [NONE, AWS_IAM]")
	}
	st := Statement{Sid: p.StatementID, Effect: "Allow", Action: p.Action, Resource: resource}
	switch pr := p.Principal; {
	case pr == "*":
		st.Principal = "*"
	case strings.HasSuffix(pr, ".amazonaws.com"):
		st.Principal = map[string]string{"Service": pr}
	case accountRE.MatchString(pr):
		st.Principal = map[string]string{"AWS": "arn:aws:iam::" + pr + ":root"}
	case strings.HasPrefix(pr, "arn:aws:iam::"):
		st.Principal = map[string]string{"AWS": pr}
	default:
		return Statement{}, invalidParam("The provided principal was invalid. Please check the principal and try again.")
	}
	cond := map[string]map[string]string{}
	add := func(op, key, value string) {
		if value == "" {
			return
		}
		if cond[op] == nil {
			cond[op] = map[string]string{}
		}
		cond[op][key] = value
	}
	add("StringEquals", "lambda:FunctionUrlAuthType", p.FunctionURLAuthType)
	add("StringEquals", "aws:PrincipalOrgID", p.PrincipalOrgID)
	add("StringEquals", "AWS:SourceAccount", p.SourceAccount)
	add("StringEquals", "lambda:EventSourceToken", p.EventSourceToken)
	add("ArnLike", "AWS:SourceArn", p.SourceARN)
	if len(cond) > 0 {
		st.Condition = cond
	}
	return st, nil
}

// AllowsPublicURL reports whether the policy lets anyone invoke a function
// URL whose AuthType is NONE: a statement allowing lambda:InvokeFunctionUrl
// (or lambda:*, or *) to principal "*", whose conditions, if any, hold for
// an unauthenticated URL request (lambda:FunctionUrlAuthType = NONE).
func (p *Policy) AllowsPublicURL() bool {
	if p == nil {
		return false
	}
	for _, st := range p.Statements {
		if st.Effect == "Allow" && publicPrincipal(st.Principal) &&
			(st.Action == "lambda:InvokeFunctionUrl" || st.Action == "lambda:*" || st.Action == "*") &&
			urlConditionsHold(st.Condition) {
			return true
		}
	}
	return false
}

// Statement returns the statement with the given Sid.
func (p *Policy) Statement(sid string) (Statement, bool) {
	for _, st := range p.Statements {
		if st.Sid == sid {
			return st, true
		}
	}
	return Statement{}, false
}

func publicPrincipal(p any) bool {
	switch v := p.(type) {
	case string:
		return v == "*"
	case map[string]any:
		return v["AWS"] == "*"
	case map[string]string:
		return v["AWS"] == "*"
	}
	return false
}

// urlConditionsHold evaluates a statement's conditions for an anonymous
// function URL request: only lambda:FunctionUrlAuthType = NONE is known
// about such a request, so any other condition fails.
func urlConditionsHold(cond map[string]map[string]string) bool {
	for op, kv := range cond {
		for k, v := range kv {
			if op != "StringEquals" || k != "lambda:FunctionUrlAuthType" || v != "NONE" {
				return false
			}
		}
	}
	return true
}
