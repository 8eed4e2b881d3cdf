package function

import (
	"encoding/json"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Runtimes lists the runtime identifiers Hearth runs.
var Runtimes = []string{
	"provided.al2023", "provided.al2",
	"python3.9", "python3.10", "python3.11", "python3.12", "python3.13",
	"nodejs18.x", "nodejs20.x", "nodejs22.x",
}

// deprecated maps runtimes Lambda no longer accepts for create or update to
// the replacement Lambda recommends in its error message.
var deprecated = map[string]string{
	"python2.7": "python3.13", "python3.6": "python3.13", "python3.7": "python3.13", "python3.8": "python3.13",
	"nodejs": "nodejs22.x", "nodejs4.3": "nodejs22.x", "nodejs6.10": "nodejs22.x", "nodejs8.10": "nodejs22.x",
	"nodejs10.x": "nodejs22.x", "nodejs12.x": "nodejs22.x", "nodejs14.x": "nodejs22.x", "nodejs16.x": "nodejs22.x",
	"go1.x": "provided.al2023", "provided": "provided.al2023",
}

var envKeyRE = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9_])+$`)

// Patterns of Lambda's API model (botocore's lambda service-2.json) for
// members Hearth checks; the model's patterns match the whole value.
const (
	HandlerPattern = `[^\s]+`
	RolePattern    = `arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`
)

var (
	handlerRE = regexp.MustCompile(`^(?:` + HandlerPattern + `)$`)
	roleRE    = regexp.MustCompile(`^(?:` + RolePattern + `)$`)
)

// HostArchitecture is Lambda's name for the architecture Hearth runs
// functions on: this host's.
func HostArchitecture() string {
	if runtime.GOARCH == "arm64" {
		return "arm64"
	}
	return "x86_64"
}

// reservedEnv are the variables Lambda sets itself and refuses to let a
// function override.
var reservedEnv = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_DEFAULT_REGION": true, "AWS_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true, "AWS_LAMBDA_LOG_GROUP_NAME": true,
	"AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true,
	"AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_LAMBDA_RUNTIME_API": true,
	"LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

// ValidateRuntime checks that Hearth can run the runtime.
func ValidateRuntime(rt string) error {
	if slices.Contains(Runtimes, rt) {
		return nil
	}
	if repl, ok := deprecated[rt]; ok {
		return invalidParam("The runtime parameter of " + rt + " is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (" + repl + ") while creating or updating functions.")
	}
	return invalidParam("Value " + rt + " at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [" + strings.Join(Runtimes, ", ") + "] or be a valid ARN")
}

// Validate checks a complete configuration against Lambda's limits. It
// reports the first violation, worded as Lambda words it.
func (c *Config) Validate() error {
	if err := ValidateName(c.Name); err != nil {
		return err
	}
	if err := c.validateCode(); err != nil {
		return err
	}
	if err := c.validateRuntime(); err != nil {
		return err
	}
	if c.PackageType != PackageImage && !strings.HasPrefix(c.Runtime, "provided") && c.Handler == "" {
		return invalidParam("The Handler parameter is required for the " + c.Runtime + " runtime.")
	}
	if len(c.Handler) > 128 {
		return validationf("handler", c.Handler, "Member must have length less than or equal to 128")
	}
	if c.Handler != "" && !handlerRE.MatchString(c.Handler) {
		return validationf("handler", c.Handler, "Member must satisfy regular expression pattern: "+HandlerPattern)
	}
	if c.Role == "" {
		return &Error{Kind: ErrValidation, Msg: "1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null"}
	}
	if !roleRE.MatchString(c.Role) {
		return validationf("role", c.Role, "Member must satisfy regular expression pattern: "+RolePattern)
	}
	if len(c.Description) > MaxDescriptionLen {
		return validationf("description", c.Description, "Member must have length less than or equal to 256")
	}
	if err := intRange("memorySize", c.MemoryMB, MinMemoryMB, MaxMemoryMB); err != nil {
		return err
	}
	if err := intRange("timeout", c.TimeoutSec, 1, MaxTimeoutSec); err != nil {
		return err
	}
	if err := intRange("ephemeralStorage.size", c.EphemeralMB, MinEphemeralMB, MaxEphemeralMB); err != nil {
		return err
	}
	for _, a := range c.Architectures {
		if a != "x86_64" && a != "arm64" {
			return validationf("architectures", "["+a+"]", "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]")
		}
	}
	if len(c.Architectures) > 1 {
		return validationf("architectures", "["+strings.Join(c.Architectures, ", ")+"]", "Member must have length less than or equal to 1")
	}
	for _, a := range c.Architectures {
		if a != HostArchitecture() {
			return invalidParam("Hearth runs functions on this host's architecture, " + HostArchitecture() +
				"; Architectures [" + a + "] cannot run here.")
		}
	}
	if err := c.Settings.Validate(); err != nil {
		return err
	}
	return ValidateEnvironment(c.Environment)
}

func intRange(field string, v, lo, hi int) error {
	if v < lo {
		return validationf(field, strconv.Itoa(v), "Member must have value greater than or equal to "+strconv.Itoa(lo))
	}
	if v > hi {
		return validationf(field, strconv.Itoa(v), "Member must have value less than or equal to "+strconv.Itoa(hi))
	}
	return nil
}

// ValidateEnvironment applies Lambda's rules to environment variables: key
// syntax, reserved keys and the 4 KB limit on their serialized size.
func ValidateEnvironment(env map[string]string) error {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var reserved []string
	for _, k := range keys {
		if !envKeyRE.MatchString(k) {
			return validationf("environment.variables", k, "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]")
		}
		if reservedEnv[k] {
			reserved = append(reserved, k)
		}
	}
	if len(reserved) > 0 {
		return invalidParam("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: " + strings.Join(reserved, ", "))
	}
	if len(env) == 0 {
		return nil
	}
	b, _ := json.Marshal(env)
	if len(b) > MaxEnvBytes {
		return invalidParam("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: " + string(b))
	}
	return nil
}
