package function

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// MaxLayers is how many layers a function may use (Lambda's quota).
const MaxLayers = 5

// layerNamePattern is Lambda's pattern for the LayerName parameter: a name
// or the layer's ARN.
const layerNamePattern = `(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+`

// layerVersionPattern is Lambda's pattern for a layer version ARN in a
// function's Layers.
const layerVersionPattern = `(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)`

var (
	layerNameRE    = regexp.MustCompile(`^(` + layerNamePattern + `)$`)
	layerVersionRE = regexp.MustCompile(`^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+):([0-9]+)$`)
)

// LayerVersion is one published, immutable version of a layer.
type LayerVersion struct {
	Name                    string    `json:"name"`
	Version                 int64     `json:"version"`
	Description             string    `json:"description,omitempty"`
	LicenseInfo             string    `json:"licenseInfo,omitempty"`
	CompatibleRuntimes      []string  `json:"compatibleRuntimes,omitempty"`
	CompatibleArchitectures []string  `json:"compatibleArchitectures,omitempty"`
	CodeSHA256              string    `json:"codeSHA256"` // hex digest of the zip: the code store address
	CodeSha256Base64        string    `json:"codeSha256"` // base64 digest, as Lambda reports CodeSha256
	CodeSize                int64     `json:"codeSize"`
	UnzippedSize            int64     `json:"unzippedSize"`
	Created                 time.Time `json:"created"`
	// Policy holds the statements of the version's resource policy
	// (AddLayerVersionPermission), in the order they were added.
	Policy []LayerStatement `json:"policy,omitempty"`
	// PolicyRevision changes with every change of Policy.
	PolicyRevision string `json:"policyRevision,omitempty"`
}

// LayerStatement is one statement of a layer version's policy.
type LayerStatement struct {
	Sid            string `json:"sid"`
	Action         string `json:"action"`
	Principal      string `json:"principal"`
	OrganizationID string `json:"organizationID,omitempty"`
}

// Layer is a layer version a function configuration uses, as recorded when
// the configuration was stored: a deleted layer version keeps working for
// the functions that already use it, as on Lambda.
type Layer struct {
	ARN          string `json:"arn"`
	CodeSize     int64  `json:"codeSize"`
	CodeSHA256   string `json:"codeSHA256"` // the code store address; keeps the code alive
	UnzippedSize int64  `json:"unzippedSize"`
}

// LayerARN returns the ARN of a layer (without a version).
func LayerARN(region, account, name string) string {
	return "arn:aws:lambda:" + region + ":" + account + ":layer:" + name
}

// LayerVersionARN returns the ARN of one version of a layer.
func LayerVersionARN(region, account, name string, version int64) string {
	return LayerARN(region, account, name) + ":" + strconv.FormatInt(version, 10)
}

// ParseLayerName checks a LayerName parameter (a name or a layer ARN) and
// returns the bare name.
func ParseLayerName(s string) (string, error) {
	if len(s) < 1 || len(s) > 140 || !layerNameRE.MatchString(s) {
		return "", validationf("layerName", s, "Member must satisfy regular expression pattern: "+layerNamePattern)
	}
	return s[strings.LastIndexByte(s, ':')+1:], nil
}

// ParseLayerVersionARN splits a layer version ARN into its region,
// account, layer name and version.
func ParseLayerVersionARN(arn string) (region, account, name string, version int64, ok bool) {
	m := layerVersionRE.FindStringSubmatch(arn)
	if m == nil || len(arn) > 140 {
		return "", "", "", 0, false
	}
	v, err := strconv.ParseInt(m[4], 10, 64)
	if err != nil || v < 1 {
		return "", "", "", 0, false
	}
	return m[1], m[2], m[3], v, true
}

// ValidateLayers checks the Layers parameter of CreateFunction and
// UpdateFunctionConfiguration: at most MaxLayers version ARNs, each
// well-formed.
func ValidateLayers(arns []string) error {
	if len(arns) > MaxLayers {
		return validationf("layers", "["+strings.Join(arns, ", ")+"]",
			"Member must have length less than or equal to "+strconv.Itoa(MaxLayers))
	}
	for _, a := range arns {
		if _, _, _, _, ok := ParseLayerVersionARN(a); !ok {
			return validationf("layers", "["+strings.Join(arns, ", ")+"]",
				"Member must satisfy constraint: [Member must have length less than or equal to 140, "+
					"Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: "+
					layerVersionPattern+"]")
		}
	}
	return nil
}
