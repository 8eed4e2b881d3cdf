package e2e

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestVersionsAndAliases: published versions are numbered, immutable and
// not duplicated when nothing changed; an alias routes by its weights and
// says which version ran.
func TestVersionsAndAliases(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	ctx := context.Background()
	const name = "versions"
	createFunction(t, c, name, runtimeCases[0], func(in *lambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"RELEASE": "one"}}
	})
	publish := func(want string) {
		t.Helper()
		v, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)})
		if err != nil || aws.ToString(v.Version) != want {
			t.Fatalf("publish: version %q, err %v; want %s", aws.ToString(v.Version), err, want)
		}
		if arn := aws.ToString(v.FunctionArn); arn != "arn:aws:lambda:us-east-1:000000000000:function:"+name+":"+want {
			t.Errorf("version ARN %s", arn)
		}
	}
	setRelease := func(r string) {
		t.Helper()
		_, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name),
			Environment: &types.Environment{Variables: map[string]string{"RELEASE": r}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	publish("1")
	publish("1") // unchanged: Lambda returns the last version
	setRelease("two")
	publish("2")
	setRelease("three") // $LATEST moves on; versions stay

	list, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(name)})
	if err != nil || len(list.Versions) != 3 || aws.ToString(list.Versions[0].Version) != "$LATEST" ||
		aws.ToString(list.Versions[1].Version) != "1" || aws.ToString(list.Versions[2].Version) != "2" {
		t.Fatalf("list versions: %+v %v", list, err)
	}
	for q, want := range map[string]string{"1": "one", "2": "two", "$LATEST": "three"} {
		cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name), Qualifier: aws.String(q)})
		if err != nil || cfg.Environment.Variables["RELEASE"] != want {
			t.Errorf("configuration of %s: %+v %v, want RELEASE=%s", q, cfg, err, want)
		}
		r := invoke(t, c, name, map[string]any{"action": "env"}, q)
		env, _ := r.Payload["env"].(map[string]any)
		if r.Version != q || env["RELEASE"] != want || env["AWS_LAMBDA_FUNCTION_VERSION"] != q {
			t.Errorf("invoke %s: executed %q, RELEASE %v, version env %v", q, r.Version, env["RELEASE"], env["AWS_LAMBDA_FUNCTION_VERSION"])
		}
	}
	if r := invoke(t, c, name+":2", map[string]any{}); r.Version != "2" {
		t.Errorf("invoke through a qualified name ran version %q", r.Version)
	}

	_, err = c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String("bad"), FunctionVersion: aws.String("$LATEST"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 0.5}}})
	if apiCode(err) != "InvalidParameterValueException" || apiMessage(err) != "$LATEST is not supported for an alias pointing to more than 1 version" {
		t.Errorf("weighted alias on $LATEST: %v", err)
	}
	alias, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: aws.String("1"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.2}}})
	if err != nil || aws.ToString(alias.AliasArn) != "arn:aws:lambda:us-east-1:000000000000:function:"+name+":live" {
		t.Fatalf("create alias: %+v %v", alias, err)
	}
	got, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(name), Name: aws.String("live")})
	if err != nil || aws.ToString(got.FunctionVersion) != "1" || got.RoutingConfig == nil || got.RoutingConfig.AdditionalVersionWeights["2"] != 0.2 {
		t.Errorf("get alias: %+v %v", got, err)
	}

	const total = 1000
	counts := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range total / 4 {
				out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Qualifier: aws.String("live")})
				mu.Lock()
				if err != nil {
					counts["error"]++
				} else {
					counts[aws.ToString(out.ExecutedVersion)]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// Binomial(1000, 0.2): mean 200, standard deviation 12.6; the band is
	// about ±4.7 standard deviations.
	if counts["error"] != 0 || counts["1"]+counts["2"] != total || counts["2"] < 140 || counts["2"] > 260 {
		t.Errorf("1000 invocations of an alias weighting version 2 at 0.2: %v", counts)
	}
	for _, e := range h.environments(t, name) {
		if e.Version != "1" && e.Version != "2" && e.Version != "$LATEST" {
			t.Errorf("environment of version %q", e.Version)
		}
	}

	_, err = c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name), Qualifier: aws.String("2")})
	var conflict *types.ResourceConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("deleting a version an alias routes to: %v", err)
	}
	if _, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: aws.String("2"),
		RoutingConfig: &types.AliasRoutingConfiguration{}}); err != nil {
		t.Fatal(err)
	}
	if r := invoke(t, c, name, map[string]any{}, "live"); r.Version != "2" {
		t.Errorf("alias moved to 2 ran version %q", r.Version)
	}
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name), Qualifier: aws.String("1")}); err != nil {
		t.Errorf("delete version 1: %v", err)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Qualifier: aws.String("1")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("invoke of a deleted version: %v", err)
	}
	aliases, err := c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String(name)})
	if err != nil || len(aliases.Aliases) != 1 {
		t.Errorf("list aliases: %+v %v", aliases, err)
	}
	if _, err := c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String(name), Name: aws.String("live")}); err != nil {
		t.Errorf("delete alias: %v", err)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Qualifier: aws.String("live")})
	if !errors.As(err, &nf) {
		t.Errorf("invoke of a deleted alias: %v", err)
	}
}
