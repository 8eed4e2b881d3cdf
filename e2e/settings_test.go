package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestSettingsHonoured creates a function with tracing, logging, VPC and KMS
// settings through the Go SDK: each comes back as set, and active tracing
// gives the function a sampled trace header.
func TestSettingsHonoured(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	createFunction(t, c, "traced", runtimeCases[0], func(in *lambda.CreateFunctionInput) {
		in.TracingConfig = &types.TracingConfig{Mode: types.TracingModeActive}
		in.LoggingConfig = &types.LoggingConfig{LogFormat: types.LogFormatJson, ApplicationLogLevel: types.ApplicationLogLevelWarn}
		in.VpcConfig = &types.VpcConfig{SubnetIds: []string{"subnet-0abc"}, SecurityGroupIds: []string{"sg-0abc"}}
		in.KMSKeyArn = aws.String("arn:aws:kms:us-east-1:000000000000:key/k")
	})
	cfg, err := c.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("traced")})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TracingConfig.Mode != types.TracingModeActive || cfg.LoggingConfig.LogFormat != types.LogFormatJson ||
		cfg.VpcConfig == nil || len(cfg.VpcConfig.SubnetIds) != 1 || aws.ToString(cfg.KMSKeyArn) == "" {
		t.Fatalf("settings dropped: tracing %v, logging %+v, vpc %+v, kms %q", cfg.TracingConfig, cfg.LoggingConfig, cfg.VpcConfig, aws.ToString(cfg.KMSKeyArn))
	}
	r := invoke(t, c, "traced", map[string]any{"action": "env"})
	env, _ := r.Payload["env"].(map[string]any)
	if trace, _ := env["_X_AMZN_TRACE_ID"].(string); !strings.Contains(trace, "Sampled=1") {
		t.Fatalf("trace header with active tracing: %q (%s)", trace, r.Raw)
	}
	if env["AWS_LAMBDA_LOG_FORMAT"] != "JSON" || env["AWS_LAMBDA_LOG_LEVEL"] != "WARN" {
		t.Fatalf("logging environment: format %v, level %v", env["AWS_LAMBDA_LOG_FORMAT"], env["AWS_LAMBDA_LOG_LEVEL"])
	}
}
