package function

import (
	"regexp"
	"strconv"
	"time"
)

// Alias is a named pointer to a published version (or $LATEST), optionally
// routing a share of its traffic to one more version.
type Alias struct {
	Name        string `json:"name"`
	Function    string `json:"function"`
	Version     string `json:"version"` // the primary version
	Description string `json:"description,omitempty"`
	// Weights maps an additional version to the share of invocations it
	// receives (0.0–1.0); Lambda allows at most one entry.
	Weights    map[string]float64 `json:"weights,omitempty"`
	RevisionID string             `json:"revisionID"`
}

// Provisioned is a provisioned concurrency configuration of a version or
// an alias.
type Provisioned struct {
	Function     string    `json:"function"`
	Qualifier    string    `json:"qualifier"` // version number or alias name
	Requested    int       `json:"requested"`
	LastModified time.Time `json:"lastModified"`
}

var (
	aliasRE   = regexp.MustCompile(`^[a-zA-Z0-9-_]+$`)
	versionRE = regexp.MustCompile(`^[0-9]+$`)
)

// IsVersion reports whether a qualifier names a published version.
func IsVersion(q string) bool { return versionRE.MatchString(q) }

// ValidateAliasName applies Lambda's pattern for alias names: letters,
// digits, '-' and '_', and not only digits (that would be a version).
func ValidateAliasName(name string) error {
	if len(name) < 1 || len(name) > 128 {
		return validationf("name", name, "Member must have length less than or equal to 128")
	}
	if !aliasRE.MatchString(name) || IsVersion(name) {
		return validationf("name", name, "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)")
	}
	return nil
}

// ValidateFunctionVersion checks the FunctionVersion of an alias.
func ValidateFunctionVersion(v string) error {
	if v == Latest || IsVersion(v) {
		return nil
	}
	return validationf("functionVersion", v, "Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)")
}

// ValidateWeights applies Lambda's rules to an alias's routing
// configuration against its primary version.
func ValidateWeights(primary string, weights map[string]float64) error {
	if len(weights) > 1 {
		return invalidParam("Number of items in AdditionalVersionWeights cannot be greater than 1")
	}
	for v, w := range weights {
		pair := "{" + v + "=" + strconv.FormatFloat(w, 'f', -1, 64) + "}"
		if w < 0 || w > 1 {
			return validationf("routingConfig.additionalVersionWeights", pair, "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]")
		}
		if !IsVersion(v) {
			return validationf("routingConfig.additionalVersionWeights", pair, "Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+, Member must not be null]")
		}
		if primary == Latest {
			return invalidParam("$LATEST is not supported for an alias pointing to more than 1 version")
		}
		if v == primary {
			return invalidParam("Invalid function version " + v + ". Function version " + v + " is already included in routing configuration.")
		}
	}
	return nil
}

// SameCode reports whether a published version would be identical to c:
// SameDeployment, with the version's own description set aside because
// PublishVersion may override it.
func (c Config) SameCode(published Config) bool {
	published.Description = c.Description
	return c.SameDeployment(published)
}
