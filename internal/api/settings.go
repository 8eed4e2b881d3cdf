package api

import (
	"github.com/hearth-run/hearth/internal/function"
)

// settingsFields are the request members kept in function.Settings: Lambda
// stores and reports them, so Hearth does too rather than drop them.
type settingsFields struct {
	TracingConfig *struct {
		Mode string `json:"Mode"`
	} `json:"TracingConfig"`
	VpcConfig *struct {
		SubnetIds               []string `json:"SubnetIds"`
		SecurityGroupIds        []string `json:"SecurityGroupIds"`
		Ipv6AllowedForDualStack bool     `json:"Ipv6AllowedForDualStack"`
	} `json:"VpcConfig"`
	FileSystemConfigs *[]struct {
		Arn            string `json:"Arn"`
		LocalMountPath string `json:"LocalMountPath"`
	} `json:"FileSystemConfigs"`
	KMSKeyArn *string `json:"KMSKeyArn"`
	SnapStart *struct {
		ApplyOn string `json:"ApplyOn"`
	} `json:"SnapStart"`
	LoggingConfig *struct {
		LogFormat           string `json:"LogFormat"`
		ApplicationLogLevel string `json:"ApplicationLogLevel"`
		SystemLogLevel      string `json:"SystemLogLevel"`
		LogGroup            string `json:"LogGroup"`
	} `json:"LoggingConfig"`
}

// applySettings sets the members given in f on c; an empty VpcConfig (no
// subnets) removes the VPC, as on Lambda.
func applySettings(c *function.Config, f *settingsFields) {
	if f.TracingConfig == nil && f.VpcConfig == nil && f.FileSystemConfigs == nil && f.KMSKeyArn == nil &&
		f.SnapStart == nil && f.LoggingConfig == nil {
		return
	}
	st := function.Settings{}
	if c.Settings != nil {
		st = *c.Settings
	}
	if t := f.TracingConfig; t != nil {
		st.TracingMode = t.Mode
	}
	if v := f.VpcConfig; v != nil {
		st.VPC = &function.VPCConfig{SubnetIDs: v.SubnetIds, SecurityGroupIDs: v.SecurityGroupIds, IPv6AllowedForDualStack: v.Ipv6AllowedForDualStack}
		if len(v.SubnetIds) == 0 && len(v.SecurityGroupIds) == 0 {
			st.VPC = nil
		}
	}
	if f.FileSystemConfigs != nil {
		st.FileSystems = nil
		for _, fs := range *f.FileSystemConfigs {
			st.FileSystems = append(st.FileSystems, function.FileSystemConfig{ARN: fs.Arn, LocalMountPath: fs.LocalMountPath})
		}
	}
	if f.KMSKeyArn != nil {
		st.KMSKeyARN = *f.KMSKeyArn
	}
	if s := f.SnapStart; s != nil {
		st.SnapStartApplyOn = s.ApplyOn
	}
	if l := f.LoggingConfig; l != nil {
		st.Logging = &function.LoggingConfig{LogFormat: l.LogFormat, ApplicationLogLevel: l.ApplicationLogLevel,
			SystemLogLevel: l.SystemLogLevel, LogGroup: l.LogGroup}
	}
	c.Settings = &st
}

// The response shapes of the settings.
type (
	vpcConfigResponse struct {
		SubnetIds               []string `json:"SubnetIds"`
		SecurityGroupIds        []string `json:"SecurityGroupIds"`
		VpcId                   string   `json:"VpcId"`
		Ipv6AllowedForDualStack bool     `json:"Ipv6AllowedForDualStack"`
	}
	fileSystemConfigResponse struct {
		Arn            string `json:"Arn"`
		LocalMountPath string `json:"LocalMountPath"`
	}
)

// settingsResponse fills fc's settings members from c, with Lambda's
// defaults for those never set.
func settingsResponse(fc *functionConfiguration, c *function.Config) {
	st := c.Settings
	if st == nil {
		return
	}
	if st.TracingMode != "" {
		fc.TracingConfig = map[string]string{"Mode": st.TracingMode}
	}
	if st.SnapStartApplyOn != "" {
		status := "Off"
		if st.SnapStartApplyOn == "PublishedVersions" && c.Version != function.Latest {
			status = "On"
		}
		fc.SnapStart = map[string]string{"ApplyOn": st.SnapStartApplyOn, "OptimizationStatus": status}
	}
	if v := st.VPC; v != nil {
		fc.VpcConfig = &vpcConfigResponse{SubnetIds: nonNil(v.SubnetIDs), SecurityGroupIds: nonNil(v.SecurityGroupIDs),
			Ipv6AllowedForDualStack: v.IPv6AllowedForDualStack}
	}
	for _, fs := range st.FileSystems {
		fc.FileSystemConfigs = append(fc.FileSystemConfigs, fileSystemConfigResponse{Arn: fs.ARN, LocalMountPath: fs.LocalMountPath})
	}
	fc.KMSKeyArn = st.KMSKeyARN
	if l := st.Logging; l != nil {
		lc := map[string]string{"LogFormat": "Text", "LogGroup": fc.LoggingConfig["LogGroup"]}
		if l.LogFormat != "" {
			lc["LogFormat"] = l.LogFormat
		}
		if l.LogGroup != "" {
			lc["LogGroup"] = l.LogGroup
		}
		if lc["LogFormat"] == "JSON" {
			lc["ApplicationLogLevel"], lc["SystemLogLevel"] = or(l.ApplicationLogLevel, "INFO"), or(l.SystemLogLevel, "INFO")
		}
		fc.LoggingConfig = lc
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
