// Command callerfn is a test function that calls Hearth's Lambda API with
// the credentials and endpoint its environment carries, through
// aws-sdk-go-v2's default configuration, as a function on Lambda would.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

type event struct {
	Action string          `json:"action"` // invoke, create, config
	Target string          `json:"target"`
	Zip    []byte          `json:"zip"`
	Input  json.RawMessage `json:"input"`
}

type answer struct {
	Payload   json.RawMessage `json:"payload,omitempty"`
	ErrorCode string          `json:"errorCode,omitempty"`
	Error     string          `json:"error,omitempty"`
	KeyID     string          `json:"keyId"`
	Endpoint  string          `json:"endpoint"`
	Runtime   string          `json:"runtime,omitempty"`
}

func handle(ctx context.Context, ev event) (answer, error) {
	out := answer{KeyID: os.Getenv("AWS_ACCESS_KEY_ID"), Endpoint: os.Getenv("AWS_ENDPOINT_URL_LAMBDA")}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(1))
	if err != nil {
		return out, err
	}
	c := awslambda.NewFromConfig(cfg)
	switch ev.Action {
	case "invoke":
		var r *awslambda.InvokeOutput
		if r, err = c.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(ev.Target), Payload: ev.Input}); err == nil {
			out.Payload = r.Payload
		}
	case "config":
		var r *awslambda.GetFunctionConfigurationOutput
		if r, err = c.GetFunctionConfiguration(ctx, &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String(ev.Target)}); err == nil {
			out.Runtime = string(r.Runtime)
		}
	case "create":
		_, err = c.CreateFunction(ctx, &awslambda.CreateFunctionInput{
			FunctionName: aws.String(ev.Target), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
			Role: aws.String("arn:aws:iam::000000000000:role/x"), Code: &types.FunctionCode{ZipFile: ev.Zip},
		})
	case "getcode":
		_, err = c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String(ev.Target)})
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		out.ErrorCode, out.Error = ae.ErrorCode(), ae.ErrorMessage()
	} else if err != nil {
		out.Error = err.Error()
	}
	return out, nil
}

func main() { lambda.Start(handle) }
