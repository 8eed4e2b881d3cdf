package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/hearth-run/hearth/internal/function"
)

// lambdaTime is Lambda's LastModified format.
const lambdaTime = "2006-01-02T15:04:05.000-0700"

// functionConfiguration is Lambda's FunctionConfiguration shape.
type functionConfiguration struct {
	FunctionName      string                     `json:"FunctionName"`
	FunctionArn       string                     `json:"FunctionArn"`
	Runtime           string                     `json:"Runtime,omitempty"`
	Role              string                     `json:"Role"`
	Handler           string                     `json:"Handler,omitempty"`
	CodeSize          int64                      `json:"CodeSize"`
	Description       string                     `json:"Description"`
	Timeout           int                        `json:"Timeout"`
	MemorySize        int                        `json:"MemorySize"`
	LastModified      string                     `json:"LastModified"`
	CodeSha256        string                     `json:"CodeSha256"`
	Version           string                     `json:"Version"`
	Environment       *environment               `json:"Environment,omitempty"`
	DeadLetterConfig  *deadLetterConfig          `json:"DeadLetterConfig,omitempty"`
	TracingConfig     map[string]string          `json:"TracingConfig"`
	RevisionId        string                     `json:"RevisionId"`
	State             string                     `json:"State"`
	LastUpdateStatus  string                     `json:"LastUpdateStatus"`
	PackageType       string                     `json:"PackageType"`
	Architectures     []string                   `json:"Architectures"`
	EphemeralStorage  ephemeralStorage           `json:"EphemeralStorage"`
	SnapStart         map[string]string          `json:"SnapStart"`
	LoggingConfig     map[string]string          `json:"LoggingConfig"`
	Layers            []layerRef                 `json:"Layers,omitempty"`
	VpcConfig         *vpcConfigResponse         `json:"VpcConfig,omitempty"`
	FileSystemConfigs []fileSystemConfigResponse `json:"FileSystemConfigs,omitempty"`
	KMSKeyArn         string                     `json:"KMSKeyArn,omitempty"`
	// ImageConfigResponse is set for image functions with an ImageConfig.
	ImageConfigResponse *imageConfigResponse `json:"ImageConfigResponse,omitempty"`
}

type environment struct {
	Variables map[string]string `json:"Variables"`
}

type deadLetterConfig struct {
	TargetArn string `json:"TargetArn"`
}

type ephemeralStorage struct {
	Size int `json:"Size"`
}

func (s *Server) configuration(c *function.Config) functionConfiguration {
	arn := function.ARN(s.opts.Region, s.opts.Account, c.Name)
	if c.Version != function.Latest {
		arn += ":" + c.Version
	}
	fc := functionConfiguration{
		FunctionName: c.Name, FunctionArn: arn, Runtime: c.Runtime, Role: c.Role, Handler: c.Handler,
		CodeSize: c.CodeSize, Description: c.Description, Timeout: c.TimeoutSec, MemorySize: c.MemoryMB,
		LastModified: c.LastModified.Format(lambdaTime), CodeSha256: c.CodeSha256Base64, Version: c.Version,
		TracingConfig: map[string]string{"Mode": "PassThrough"}, RevisionId: c.RevisionID,
		State: "Active", LastUpdateStatus: "Successful", PackageType: "Zip", Architectures: c.Architectures,
		EphemeralStorage: ephemeralStorage{Size: c.EphemeralMB},
		SnapStart:        map[string]string{"ApplyOn": "None", "OptimizationStatus": "Off"},
		LoggingConfig:    map[string]string{"LogFormat": "Text", "LogGroup": "/aws/lambda/" + c.Name},
		Layers:           layerRefs(c.Layers),
	}
	if c.PackageType == function.PackageImage {
		fc.PackageType, fc.ImageConfigResponse = function.PackageImage, imageConfigResponseOf(c)
	}
	settingsResponse(&fc, c)
	if len(c.Environment) > 0 {
		fc.Environment = &environment{Variables: c.Environment}
	}
	if c.DeadLetterARN != "" {
		fc.DeadLetterConfig = &deadLetterConfig{TargetArn: c.DeadLetterARN}
	}
	return fc
}

// decodeJSON parses a request body strictly enough to catch wrong types,
// and reports failures as Lambda's InvalidRequestContentException.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errorf(http.StatusBadRequest, typeInvalidContent,
			fmt.Sprintf("Could not parse request body into json: Could not parse payload into json: %v", err))
	}
	return nil
}
