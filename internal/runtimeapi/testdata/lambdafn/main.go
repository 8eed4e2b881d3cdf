// Command lambdafn is a function built with aws-lambda-go's lambda.Start,
// used by the runtimeapi tests to check that an unmodified official runtime
// client works against Hearth's Runtime API.
package main

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Mode string `json:"mode"`
	Echo string `json:"echo"`
}

type reply struct {
	Echo       string `json:"echo"`
	RequestID  string `json:"requestId"`
	ARN        string `json:"arn"`
	DeadlineMs int64  `json:"deadlineMs"`
}

func handle(ctx context.Context, e event) (any, error) {
	switch e.Mode {
	case "stream":
		// An io.Reader result is posted chunked: a streamed response.
		return &events.LambdaFunctionURLStreamingResponse{StatusCode: 201,
			Headers: map[string]string{"x-go": "yes"}, Body: strings.NewReader("streamed " + e.Echo)}, nil
	case "error":
		return reply{}, errors.New("boom: " + e.Echo)
	case "panic":
		panic("kaboom")
	}
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()
	return reply{Echo: e.Echo, RequestID: lc.AwsRequestID, ARN: lc.InvokedFunctionArn,
		DeadlineMs: deadline.UnixNano() / int64(time.Millisecond)}, nil
}

func main() { lambda.Start(handle) }
