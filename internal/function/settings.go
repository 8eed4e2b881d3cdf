package function

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Settings are configuration members Lambda stores and reports that Hearth
// keeps and returns as given without enforcing all of them (see
// docs/ARCHITECTURE.md): a request that sets one gets it back, never a
// silent default.
type Settings struct {
	TracingMode      string             `json:"tracingMode,omitempty"` // Active or PassThrough ("" = PassThrough)
	VPC              *VPCConfig         `json:"vpc,omitempty"`
	FileSystems      []FileSystemConfig `json:"fileSystems,omitempty"`
	KMSKeyARN        string             `json:"kmsKeyARN,omitempty"`
	SnapStartApplyOn string             `json:"snapStartApplyOn,omitempty"` // PublishedVersions or None ("" = None)
	Logging          *LoggingConfig     `json:"logging,omitempty"`
}

// VPCConfig is VpcConfig as given.
type VPCConfig struct {
	SubnetIDs               []string `json:"subnetIDs"`
	SecurityGroupIDs        []string `json:"securityGroupIDs"`
	IPv6AllowedForDualStack bool     `json:"ipv6AllowedForDualStack,omitempty"`
}

// FileSystemConfig is one FileSystemConfigs entry.
type FileSystemConfig struct {
	ARN            string `json:"arn"`
	LocalMountPath string `json:"localMountPath"`
}

// LoggingConfig is Lambda's advanced logging controls.
type LoggingConfig struct {
	LogFormat           string `json:"logFormat,omitempty"` // JSON or Text ("" = Text)
	ApplicationLogLevel string `json:"applicationLogLevel,omitempty"`
	SystemLogLevel      string `json:"systemLogLevel,omitempty"`
	LogGroup            string `json:"logGroup,omitempty"`
}

// Patterns and enums of Lambda's model for the settings.
const (
	KMSKeyPattern     = `(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()`
	EFSARNPattern     = `arn:aws[a-zA-Z-]*:elasticfilesystem:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:access-point/fsap-[a-f0-9]{17}$|^arn:aws[-a-z]*:s3files:[0-9a-z-:]+:file-system/fs-[0-9a-f]{17,40}/access-point/fsap-[0-9a-f]{17,40}`
	MountPathPattern  = `/mnt/[a-zA-Z0-9-_.]+`
	LogGroupPattern   = `[\.\-_/#A-Za-z0-9]+`
	maxSubnets        = 16
	maxSecurityGroups = 5
)

var (
	kmsKeyRE    = regexp.MustCompile(`^(?:` + KMSKeyPattern + `)$`)
	efsARNRE    = regexp.MustCompile(`^(?:` + EFSARNPattern + `)$`)
	mountPathRE = regexp.MustCompile(`^(?:` + MountPathPattern + `)$`)
	logGroupRE  = regexp.MustCompile(`^(?:` + LogGroupPattern + `)$`)
)

// Validate checks the settings against Lambda's model.
func (s *Settings) Validate() error {
	if s == nil {
		return nil
	}
	checks := []error{
		enum("tracingConfig.mode", s.TracingMode, "Active", "PassThrough"),
		enum("snapStart.applyOn", s.SnapStartApplyOn, "PublishedVersions", "None"),
		pattern("kMSKeyArn", s.KMSKeyARN, kmsKeyRE, KMSKeyPattern, 0),
	}
	if len(s.FileSystems) > 1 {
		checks = append(checks, validationf("fileSystemConfigs", strconv.Itoa(len(s.FileSystems))+" entries", "Member must have length less than or equal to 1"))
	}
	for _, fs := range s.FileSystems {
		checks = append(checks, pattern("fileSystemConfigs.1.member.arn", fs.ARN, efsARNRE, EFSARNPattern, 256),
			pattern("fileSystemConfigs.1.member.localMountPath", fs.LocalMountPath, mountPathRE, MountPathPattern, 160))
	}
	if v := s.VPC; v != nil {
		if len(v.SubnetIDs) > maxSubnets {
			checks = append(checks, validationf("vpcConfig.subnetIds", strings.Join(v.SubnetIDs, ","), "Member must have length less than or equal to 16"))
		}
		if len(v.SecurityGroupIDs) > maxSecurityGroups {
			checks = append(checks, validationf("vpcConfig.securityGroupIds", strings.Join(v.SecurityGroupIDs, ","), "Member must have length less than or equal to 5"))
		}
	}
	if l := s.Logging; l != nil {
		checks = append(checks,
			enum("loggingConfig.logFormat", l.LogFormat, "JSON", "Text"),
			enum("loggingConfig.applicationLogLevel", l.ApplicationLogLevel, "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"),
			enum("loggingConfig.systemLogLevel", l.SystemLogLevel, "DEBUG", "INFO", "WARN"))
		if l.LogGroup != "" {
			checks = append(checks, pattern("loggingConfig.logGroup", l.LogGroup, logGroupRE, LogGroupPattern, 512))
		}
		if l.LogFormat != "JSON" && (l.ApplicationLogLevel != "" || l.SystemLogLevel != "") {
			checks = append(checks, invalidParam("LogLevel is not supported when LogFormat is set to \"Text\". Remove LogLevel from your request or change the LogFormat to \"JSON\" and try again."))
		}
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	return nil
}

func enum(field, v string, allowed ...string) error {
	if v == "" || slices.Contains(allowed, v) {
		return nil
	}
	return validationf(field, v, "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
}

func pattern(field, v string, re *regexp.Regexp, pat string, max int) error {
	if max > 0 && len(v) > max {
		return validationf(field, v, "Member must have length less than or equal to "+strconv.Itoa(max))
	}
	if !re.MatchString(v) {
		return validationf(field, v, "Member must satisfy regular expression pattern: "+pat)
	}
	return nil
}

// Tracing reports whether active tracing is on.
func (s *Settings) Tracing() bool { return s != nil && s.TracingMode == "Active" }

// TraceHeader is the X-Amzn-Trace-Id an invocation carries: the caller's,
// and, with active tracing, one that is sampled (Sampled=1), made up when
// the caller sent none.
func TraceHeader(caller string, active bool) string {
	if !active {
		return caller
	}
	if caller == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		return "Root=1-" + strconv.FormatInt(time.Now().Unix(), 16) + "-" + hex.EncodeToString(b[:]) + ";Sampled=1"
	}
	parts := strings.Split(caller, ";")
	for i, p := range parts {
		if strings.HasPrefix(p, "Sampled=") {
			if p == "Sampled=?" {
				parts[i] = "Sampled=1"
			}
			return strings.Join(parts, ";")
		}
	}
	return caller + ";Sampled=1"
}

// JSONLogs reports whether LoggingConfig asks for LogFormat JSON, in which
// Hearth writes the platform lines (START, END, REPORT, INIT_REPORT) as
// JSON objects.
func (s *Settings) JSONLogs() bool {
	return s != nil && s.Logging != nil && s.Logging.LogFormat == "JSON"
}

// LogEnv is the environment Lambda gives a function with advanced logging
// controls: with LogFormat JSON, AWS_LAMBDA_LOG_FORMAT and the application
// log level in AWS_LAMBDA_LOG_LEVEL (INFO unless set), which the runtimes'
// logging reads.
func (s *Settings) LogEnv() []string {
	if s == nil || s.Logging == nil || s.Logging.LogFormat != "JSON" {
		return nil
	}
	level := s.Logging.ApplicationLogLevel
	if level == "" {
		level = "INFO"
	}
	return []string{"AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_LOG_LEVEL=" + level}
}
