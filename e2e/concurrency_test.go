package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// apiMessage returns the AWS error message of err, or "".
func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

// invokeAll runs n invocations at once and returns their results (nil
// where the call failed) and errors.
func invokeAll(t *testing.T, c *lambda.Client, name, qualifier string, n int, event any) ([]*invokeResult, []error) {
	t.Helper()
	payload, _ := json.Marshal(event)
	res := make([]*invokeResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: payload, LogType: types.LogTypeTail}
			if qualifier != "" {
				in.Qualifier = aws.String(qualifier)
			}
			out, err := c.Invoke(context.Background(), in)
			if err != nil {
				errs[i] = err
				return
			}
			r := &invokeResult{Raw: out.Payload, FunctionError: aws.ToString(out.FunctionError), Version: aws.ToString(out.ExecutedVersion)}
			if out.LogResult != nil {
				r.Log = decodeB64(t, *out.LogResult)
			}
			_ = json.Unmarshal(out.Payload, &r.Payload)
			res[i] = r
		}()
	}
	wg.Wait()
	return res, errs
}

// waitProvisioned polls GetProvisionedConcurrencyConfig until its status
// is want, for up to 60 s.
func waitProvisioned(t *testing.T, c *lambda.Client, name, qualifier string, want types.ProvisionedConcurrencyStatusEnum) *lambda.GetProvisionedConcurrencyConfigOutput {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := c.GetProvisionedConcurrencyConfig(context.Background(), &lambda.GetProvisionedConcurrencyConfigInput{
			FunctionName: aws.String(name), Qualifier: aws.String(qualifier)})
		if err != nil {
			t.Fatalf("get provisioned config: %v", err)
		}
		if out.Status == want {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("provisioned config of %s:%s is %s (%s), want %s", name, qualifier, out.Status, aws.ToString(out.StatusReason), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func putProvisioned(t *testing.T, c *lambda.Client, name, qualifier string, n int32) *lambda.PutProvisionedConcurrencyConfigOutput {
	t.Helper()
	out, err := c.PutProvisionedConcurrencyConfig(context.Background(), &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String(name), Qualifier: aws.String(qualifier), ProvisionedConcurrentExecutions: aws.Int32(n)})
	if err != nil {
		t.Fatalf("put provisioned config %s:%s: %v", name, qualifier, err)
	}
	return out
}

// TestProvisionedSeedScenario is the seed's example: provisioned
// concurrency 6 on an alias; six concurrent requests run without a cold
// start in environments initialised ahead of them, a seventh spills over
// to a cold on-demand environment.
func TestProvisionedSeedScenario(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	ctx := context.Background()
	const name = "pc-seed"
	created := createFunction(t, c, name, runtimeCases[0], func(in *lambda.CreateFunctionInput) { in.Publish = true })
	if aws.ToString(created.Version) != "1" {
		t.Fatalf("Publish on create gave version %q, want 1", aws.ToString(created.Version))
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	put := putProvisioned(t, c, name, "live", 6)
	if aws.ToInt32(put.RequestedProvisionedConcurrentExecutions) != 6 || put.Status == types.ProvisionedConcurrencyStatusEnumFailed {
		t.Fatalf("put answered %+v", put)
	}
	ready := waitProvisioned(t, c, name, "live", types.ProvisionedConcurrencyStatusEnumReady)
	if aws.ToInt32(ready.AvailableProvisionedConcurrentExecutions) != 6 || aws.ToInt32(ready.AllocatedProvisionedConcurrentExecutions) != 6 {
		t.Errorf("READY config counts %d available, %d allocated, want 6", aws.ToInt32(ready.AvailableProvisionedConcurrentExecutions), aws.ToInt32(ready.AllocatedProvisionedConcurrentExecutions))
	}
	envs := h.environments(t, name)
	if len(envs) != 6 {
		t.Fatalf("%d environments before any invocation, want 6: %+v", len(envs), envs)
	}
	for _, e := range envs {
		if !e.Provisioned || e.Version != "1" || e.State != "Idle" {
			t.Errorf("environment %+v: want an idle provisioned environment of version 1", e)
		}
	}

	res, errs := invokeAll(t, c, name, "live", 6, map[string]any{"action": "sleep", "sleepMs": 1500})
	streams := map[string]bool{}
	for i, r := range res {
		if errs[i] != nil {
			t.Fatalf("invocation %d: %v", i, errs[i])
		}
		if hasInitDuration(r.Log) {
			t.Errorf("invocation %d was a cold start:\n%s", i, r.Log)
		}
		if r.Payload["initType"] != "provisioned-concurrency" || r.Version != "1" {
			t.Errorf("invocation %d ran in %v environment, version %q", i, r.Payload["initType"], r.Version)
		}
		streams[r.Payload["stream"].(string)] = true
	}
	if len(streams) != 6 {
		t.Errorf("6 concurrent invocations used %d environments", len(streams))
	}

	res, errs = invokeAll(t, c, name, "live", 7, map[string]any{"action": "sleep", "sleepMs": 1500})
	cold := 0
	for i, r := range res {
		if errs[i] != nil {
			t.Fatalf("invocation %d: %v", i, errs[i])
		}
		if hasInitDuration(r.Log) {
			cold++
			if r.Payload["initType"] != "on-demand" {
				t.Errorf("the spilled-over invocation ran in a %v environment", r.Payload["initType"])
			}
		}
	}
	if cold != 1 {
		t.Errorf("7 concurrent invocations with 6 provisioned: %d cold starts, want 1", cold)
	}
}

// TestProvisionedLifecycle: $LATEST is refused with Lambda's message; a
// configuration is READY only once Init ran; one whose Init crashes is
// FAILED.
func TestProvisionedLifecycle(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	ctx := context.Background()

	slow := runtimeCase{"python", "python3.12", "app.handler", func(t *testing.T) []byte {
		return zipFiles(t, map[string][]byte{"app.py": []byte(
			"import os, time\ntime.sleep(1.5)\n\ndef handler(event, context):\n    return {'initType': os.environ.get('AWS_LAMBDA_INITIALIZATION_TYPE')}\n")})
	}}
	createFunction(t, c, "pc-slow", slow, func(in *lambda.CreateFunctionInput) { in.Publish = true })

	_, err := c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String("pc-slow"), Qualifier: aws.String("$LATEST"), ProvisionedConcurrentExecutions: aws.Int32(1)})
	if apiCode(err) != "InvalidParameterValueException" || apiMessage(err) != "Provisioned Concurrency Configs cannot be applied to unpublished function versions." {
		t.Errorf("provisioned $LATEST: %v", err)
	}
	_, err = c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("pc-slow"), Qualifier: aws.String("1")})
	var nf *types.ProvisionedConcurrencyConfigNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("get of a missing config: %v", err)
	}

	put := putProvisioned(t, c, "pc-slow", "1", 2)
	if put.Status != types.ProvisionedConcurrencyStatusEnumInProgress || aws.ToInt32(put.AvailableProvisionedConcurrentExecutions) != 0 {
		t.Errorf("put during a 1.5 s init: status %s, %d available", put.Status, aws.ToInt32(put.AvailableProvisionedConcurrentExecutions))
	}
	for _, e := range h.environments(t, "pc-slow") {
		if e.State != "Starting" {
			t.Errorf("environment %s is %s while its init still sleeps", e.ID, e.State)
		}
	}
	waitProvisioned(t, c, "pc-slow", "1", types.ProvisionedConcurrencyStatusEnumReady)
	for _, e := range h.environments(t, "pc-slow") {
		if e.State != "Idle" || !e.Provisioned {
			t.Errorf("READY, but environment %+v", e)
		}
	}
	r := invoke(t, c, "pc-slow", map[string]any{}, "1")
	if hasInitDuration(r.Log) || r.Payload["initType"] != "provisioned-concurrency" {
		t.Errorf("invocation of the provisioned version: %s\n%s", r.Raw, r.Log)
	}
	list, err := c.ListProvisionedConcurrencyConfigs(ctx, &lambda.ListProvisionedConcurrencyConfigsInput{FunctionName: aws.String("pc-slow")})
	if err != nil || len(list.ProvisionedConcurrencyConfigs) != 1 || !strings.HasSuffix(aws.ToString(list.ProvisionedConcurrencyConfigs[0].FunctionArn), ":function:pc-slow:1") {
		t.Errorf("list: %+v %v", list, err)
	}
	if _, err := c.DeleteProvisionedConcurrencyConfig(ctx, &lambda.DeleteProvisionedConcurrencyConfigInput{FunctionName: aws.String("pc-slow"), Qualifier: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "provisioned environments retired", func() bool {
		for _, e := range h.environments(t, "pc-slow") {
			if e.Provisioned {
				return false
			}
		}
		return true
	})

	crash := runtimeCase{"python", "python3.12", "app.handler", func(t *testing.T) []byte {
		return zipFiles(t, map[string][]byte{"app.py": []byte("raise RuntimeError('init boom')\n\ndef handler(event, context):\n    return {}\n")})
	}}
	createFunction(t, c, "pc-crash", crash, func(in *lambda.CreateFunctionInput) { in.Publish = true })
	putProvisioned(t, c, "pc-crash", "1", 1)
	failed := waitProvisioned(t, c, "pc-crash", "1", types.ProvisionedConcurrencyStatusEnumFailed)
	if aws.ToString(failed.StatusReason) == "" {
		t.Errorf("FAILED without a StatusReason")
	}
}

// TestReservedConcurrency: a reservation of 1 lets one of two concurrent
// requests through and throttles the other with Lambda's reason; 0
// throttles everything; reservations must leave the minimum unreserved.
func TestReservedConcurrency(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	ctx := context.Background()
	const name = "reserved-one"
	createFunction(t, c, name, runtimeCases[0])
	out, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(name), ReservedConcurrentExecutions: aws.Int32(1)})
	if err != nil || aws.ToInt32(out.ReservedConcurrentExecutions) != 1 {
		t.Fatalf("put concurrency: %+v %v", out, err)
	}
	settings, err := c.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil || settings.AccountLimit.ConcurrentExecutions != 1000 || aws.ToInt32(settings.AccountLimit.UnreservedConcurrentExecutions) != 999 {
		t.Errorf("account settings: %+v %v", settings.AccountLimit, err)
	}

	res, errs := invokeAll(t, c, name, "", 2, map[string]any{"action": "sleep", "sleepMs": 1000})
	ok, throttled := 0, 0
	for i := range res {
		var tm *types.TooManyRequestsException
		switch {
		case errs[i] == nil && res[i].FunctionError == "":
			ok++
		case errors.As(errs[i], &tm) && tm.Reason == types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded:
			throttled++
		default:
			t.Errorf("invocation %d: %v", i, errs[i])
		}
	}
	if ok != 1 || throttled != 1 {
		t.Errorf("reserved 1, two at once: %d succeeded, %d throttled; want 1 and 1", ok, throttled)
	}

	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(name), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name)})
		var tm *types.TooManyRequestsException
		if !errors.As(err, &tm) || tm.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
			t.Errorf("reserved 0, invocation %d: %v", i, err)
		}
	}
	got, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(name)})
	if err != nil || got.ReservedConcurrentExecutions == nil || *got.ReservedConcurrentExecutions != 0 {
		t.Errorf("get concurrency: %+v %v", got, err)
	}

	createFunction(t, c, "reserved-big", runtimeCases[0])
	_, err = c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("reserved-big"), ReservedConcurrentExecutions: aws.Int32(901)})
	if apiCode(err) != "InvalidParameterValueException" ||
		apiMessage(err) != "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100]." {
		t.Errorf("reserving past the minimum: %v", err)
	}
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("reserved-big"), ReservedConcurrentExecutions: aws.Int32(900)}); err != nil {
		t.Errorf("reserving down to the minimum: %v", err)
	}

	if _, err := c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if r := invoke(t, c, name, map[string]any{}); r.FunctionError != "" {
		t.Errorf("after deleting the reservation: %s", r.Raw)
	}
}

// TestAccountConcurrencyLimit: with an account limit of 1, a second
// concurrent request is throttled with ConcurrentInvocationLimitExceeded.
func TestAccountConcurrencyLimit(t *testing.T) {
	h := startHearth(t, "", "--concurrency-limit", "1", "--min-unreserved", "0")
	c := h.client()
	createFunction(t, c, "account-one", runtimeCases[0])
	res, errs := invokeAll(t, c, "account-one", "", 2, map[string]any{"action": "sleep", "sleepMs": 1000})
	ok, throttled := 0, 0
	for i := range res {
		var tm *types.TooManyRequestsException
		switch {
		case errs[i] == nil:
			ok++
		case errors.As(errs[i], &tm) && tm.Reason == types.ThrottleReasonConcurrentInvocationLimitExceeded:
			throttled++
		default:
			t.Errorf("invocation %d: %v", i, errs[i])
		}
	}
	if ok != 1 || throttled != 1 {
		t.Errorf("account limit 1, two at once: %d succeeded, %d throttled", ok, throttled)
	}
}

// TestProvisionedAliasDeploy: moving an alias with provisioned concurrency
// to a new version warms the new version first, so that the first request
// after the move is not a cold start; the old version's environments go.
func TestProvisionedAliasDeploy(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	ctx := context.Background()
	const name = "pc-deploy"
	createFunction(t, c, name, runtimeCases[0], func(in *lambda.CreateFunctionInput) { in.Publish = true })
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	putProvisioned(t, c, name, "live", 2)
	waitProvisioned(t, c, name, "live", types.ProvisionedConcurrencyStatusEnumReady)

	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name),
		Environment: &types.Environment{Variables: map[string]string{"RELEASE": "2"}}}); err != nil {
		t.Fatal(err)
	}
	v2, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)})
	if err != nil || aws.ToString(v2.Version) != "2" {
		t.Fatalf("publish: %+v %v", v2, err)
	}
	if _, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	r := invoke(t, c, name, map[string]any{}, "live")
	if r.Version != "2" || hasInitDuration(r.Log) || r.Payload["initType"] != "provisioned-concurrency" {
		t.Errorf("first invocation after the alias moved: version %q, initType %v\n%s", r.Version, r.Payload["initType"], r.Log)
	}
	waitFor(t, "version 1 environments retired", func() bool {
		for _, e := range h.environments(t, name) {
			if e.Version == "1" {
				return false
			}
		}
		return true
	})
	waitProvisioned(t, c, name, "live", types.ProvisionedConcurrencyStatusEnumReady)
}
