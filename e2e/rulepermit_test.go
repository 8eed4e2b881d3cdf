package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// allowRule adds the resource-policy statement EventBridge needs to invoke
// function (qualifier "" for the unqualified one) from the rule ruleARN.
func allowRule(t *testing.T, c *lambda.Client, function, qualifier, ruleARN string) {
	t.Helper()
	in := &lambda.AddPermissionInput{FunctionName: aws.String(function),
		StatementId: aws.String("rule-" + ruleARN[strings.LastIndexByte(ruleARN, '/')+1:]),
		Action:      aws.String("lambda:InvokeFunction"), Principal: aws.String("events.amazonaws.com"),
		SourceArn: aws.String(ruleARN)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	if _, err := c.AddPermission(context.Background(), in); err != nil {
		t.Fatalf("add-permission for %s on %s: %v", ruleARN, function, err)
	}
}

// TestRuleNeedsPermission runs a rate(1 minute) rule at 60x speed (one
// firing a second) against a function whose resource policy first has no
// statement for EventBridge, then one for another rule's ARN, and finally
// the right one: only then does the function run, as on AWS.
func TestRuleNeedsPermission(t *testing.T) {
	h := startHearth(t, "", "--schedule-speedup", "60")
	c := h.client()
	pyFunction(t, c, "guarded", `def handler(event, context):
    print("FIRED " + event.get("source", ""))
`)
	ctx := context.Background()
	events := h.eventsClient()
	rule, err := events.PutRule(ctx, "guard", "rate(1 minute)")
	if err != nil {
		t.Fatal(err)
	}
	ruleARN := aws.ToString(rule.RuleArn)
	fnARN := "arn:aws:lambda:us-east-1:000000000000:function:guarded"
	if err := events.PutTargets(ctx, "guard", "fn", fnARN); err != nil {
		t.Fatal(err)
	}
	const refused = "not allowed to invoke its target"
	// Without a permission the rule fires (the warning shows it did) but
	// the function never runs.
	waitFor(t, "a refused firing logged", func() bool { return strings.Contains(h.logs(), refused) })
	time.Sleep(2500 * time.Millisecond) // two or three more firings, also refused
	if lines, _ := h.logLines(t, "guarded", "FIRED "); len(lines) != 0 {
		t.Fatalf("function ran without a permission: %v", lines)
	}
	if n := strings.Count(h.logs(), refused); n != 1 {
		t.Fatalf("refusal logged %d times, want once per rule:\n%s", n, h.logs())
	}
	if !strings.Contains(h.logs(), "events.amazonaws.com") || !strings.Contains(h.logs(), fnARN) {
		t.Fatalf("refusal does not name the principal and function:\n%s", h.logs())
	}
	// A statement for another rule's ARN does not let this rule in.
	allowRule(t, c, "guarded", "", "arn:aws:events:us-east-1:000000000000:rule/other")
	time.Sleep(2500 * time.Millisecond)
	if lines, _ := h.logLines(t, "guarded", "FIRED "); len(lines) != 0 {
		t.Fatalf("function ran with a SourceArn for another rule: %v", lines)
	}
	// The rule's own ARN does.
	allowRule(t, c, "guarded", "", ruleARN)
	var lines []string
	waitFor(t, "the rule invokes the function", func() bool {
		lines, _ = h.logLines(t, "guarded", "FIRED ")
		return len(lines) > 0
	})
	if !strings.Contains(lines[0], "aws.events") {
		t.Fatalf("invoked with %q, want the scheduled event", lines[0])
	}
}
