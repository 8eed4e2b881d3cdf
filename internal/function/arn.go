package function

import (
	"regexp"
	"strings"
)

// namePattern is Lambda's pattern for the FunctionName parameter: a plain
// name, a partial ARN or a full ARN, each optionally qualified.
const namePattern = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`

var nameRE = regexp.MustCompile(`^` + namePattern + `$`)

// qualifierRE is Lambda's pattern for a Qualifier: a version or an alias name.
var qualifierRE = regexp.MustCompile(`^(|[a-zA-Z0-9$_-]+)$`)

// Ref is a parsed FunctionName parameter: the bare name and the qualifier it
// carried, if any.
type Ref struct {
	Name      string
	Qualifier string // "" when the reference carried none
	Region    string // region named in an ARN, "" otherwise
	Account   string // account named in an ARN, "" otherwise
}

// ParseRef parses the FunctionName path parameter of Lambda's API. field is
// the parameter name used in the error message ("functionName").
func ParseRef(s string) (Ref, error) {
	if len(s) < 1 || len(s) > 170 {
		return Ref{}, validationf("functionName", s, "Member must have length less than or equal to 170")
	}
	if len(s) <= MaxNameLen && plainName(s) {
		return Ref{Name: s}, nil // what the pattern makes of a bare name
	}
	m := nameRE.FindStringSubmatch(s)
	if m == nil {
		return Ref{}, validationf("functionName", s, "Member must satisfy regular expression pattern: "+namePattern)
	}
	r := Ref{Name: m[7], Qualifier: m[9], Region: strings.TrimSuffix(m[3], ":"), Account: strings.TrimSuffix(m[5], ":")}
	// A partial reference "name:qualifier" matches the account group when
	// the name is twelve digits; Lambda reads "123456789012:fn" as account
	// and name, and so do we.
	if len(r.Name) > MaxNameLen {
		return Ref{}, validationf("functionName", s, "Member must have length less than or equal to 64")
	}
	return r, nil
}

// plainName reports whether s is a bare function name: only the characters
// of the pattern's name group, so no ARN part and no qualifier. Every
// invocation names its function; this spares it the regular expression.
func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ValidateQualifier checks a Qualifier query parameter.
func ValidateQualifier(q string) error {
	if len(q) > 128 || !qualifierRE.MatchString(q) {
		return validationf("qualifier", q, "Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)")
	}
	return nil
}

// ValidateName checks a name given to CreateFunction. Lambda accepts an ARN
// there too; callers pass the name ParseRef extracted.
func ValidateName(name string) error {
	_, err := ParseRef(name)
	return err
}

// ARN returns the unqualified function ARN.
func ARN(region, account, name string) string {
	return "arn:aws:lambda:" + region + ":" + account + ":function:" + name
}

// QualifiedARN returns the ARN of a version or alias of the function.
func QualifiedARN(region, account, name, qualifier string) string {
	if qualifier == "" {
		return ARN(region, account, name)
	}
	return ARN(region, account, name) + ":" + qualifier
}

// ParseFunctionARN extracts the function name and qualifier from a function ARN
// such as a tag resource or a destination. ok is false for anything else.
func ParseFunctionARN(arn string) (name, qualifier string, ok bool) {
	parts := strings.Split(arn, ":")
	if len(parts) < 7 || len(parts) > 8 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" {
		return "", "", false
	}
	name = parts[6]
	if len(parts) == 8 {
		qualifier = parts[7]
	}
	if name == "" {
		return "", "", false
	}
	return name, qualifier, true
}
