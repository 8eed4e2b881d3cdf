package e2e

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// eventsClient wraps aws-sdk-go-v2's EventBridge client for this hearth.
type eventsClient struct{ c *eventbridge.Client }

func (h *hearth) eventsClient() eventsClient {
	return eventsClient{eventbridge.New(eventbridge.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(h.endpoint()),
		Credentials: credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
		HTTPClient:  &http.Client{Timeout: 30 * time.Second}, RetryMaxAttempts: 1,
	})}
}

func (e eventsClient) PutRule(ctx context.Context, name, expr string) (*eventbridge.PutRuleOutput, error) {
	return e.c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), ScheduleExpression: aws.String(expr)})
}

func (e eventsClient) PutTargets(ctx context.Context, rule, id, arn string) error {
	out, err := e.c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(rule),
		Targets: []ebtypes.Target{{Id: aws.String(id), Arn: aws.String(arn)}}})
	if err == nil && out.FailedEntryCount > 0 {
		return errFailedEntries
	}
	return err
}

type constError string

func (e constError) Error() string { return string(e) }

const errFailedEntries = constError("PutTargets reported failed entries")
