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

// TestRulePermissionPerQualifier targets an alias: a statement on the
// unqualified function does not cover it, one on the alias does (with
// principal "*", which also lets EventBridge in).
func TestRulePermissionPerQualifier(t *testing.T) {
	h := startHearth(t, "", "--schedule-speedup", "60")
	c := h.client()
	pyFunction(t, c, "aliased", `def handler(event, context):
    print("FIRED " + context.invoked_function_arn)
`)
	ctx := context.Background()
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("aliased")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("aliased"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	events := h.eventsClient()
	rule, err := events.PutRule(ctx, "aliased", "rate(1 minute)")
	if err != nil {
		t.Fatal(err)
	}
	allowRule(t, c, "aliased", "", aws.ToString(rule.RuleArn))
	if err := events.PutTargets(ctx, "aliased", "fn", "arn:aws:lambda:us-east-1:000000000000:function:aliased:live"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a refused firing logged", func() bool { return strings.Contains(h.logs(), "not allowed to invoke its target") })
	time.Sleep(1500 * time.Millisecond)
	if lines, _ := h.logLines(t, "aliased", "FIRED "); len(lines) != 0 {
		t.Fatalf("alias ran on the unqualified function's permission: %v", lines)
	}
	if _, err := c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("aliased"), Qualifier: aws.String("live"),
		StatementId: aws.String("anyone"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")}); err != nil {
		t.Fatal(err)
	}
	var lines []string
	waitFor(t, "the rule invokes the alias", func() bool {
		lines, _ = h.logLines(t, "aliased", "FIRED ")
		return len(lines) > 0
	})
	if !strings.HasSuffix(lines[0], ":aliased:live") {
		t.Fatalf("invoked as %q, want the alias", lines[0])
	}
}
