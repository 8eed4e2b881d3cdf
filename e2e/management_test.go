package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// apiCode returns the AWS error code of err, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestManagementWithGoSDK(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	ctx := context.Background()
	py := runtimeCases[1]

	created := createFunction(t, c, "mgmt-one", py, func(in *lambda.CreateFunctionInput) {
		in.MemorySize = aws.Int32(256)
		in.Environment = &types.Environment{Variables: map[string]string{"GREETING": "hi"}}
		in.Tags = map[string]string{"team": "core"}
		in.Description = aws.String("first function")
	})
	zip := pythonZip(t)
	sum := sha256.Sum256(zip)
	if got, want := aws.ToString(created.CodeSha256), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("CodeSha256 = %s, want %s", got, want)
	}
	if created.CodeSize != int64(len(zip)) || aws.ToInt32(created.MemorySize) != 256 || aws.ToInt32(created.Timeout) != 10 {
		t.Errorf("unexpected configuration: size %d memory %d timeout %d", created.CodeSize, aws.ToInt32(created.MemorySize), aws.ToInt32(created.Timeout))
	}
	if created.State != types.StateActive || created.LastUpdateStatus != types.LastUpdateStatusSuccessful {
		t.Errorf("state %s / %s", created.State, created.LastUpdateStatus)
	}
	if got := aws.ToString(created.FunctionArn); got != "arn:aws:lambda:us-east-1:000000000000:function:mgmt-one" {
		t.Errorf("FunctionArn = %s", got)
	}

	// Duplicate name.
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("mgmt-one"), Runtime: types.RuntimePython312,
		Handler: aws.String("app.handler"), Role: aws.String("arn:aws:iam::000000000000:role/r"), Code: &types.FunctionCode{ZipFile: zip}})
	if apiCode(err) != "ResourceConflictException" {
		t.Errorf("duplicate create: %v", err)
	}

	// GetFunction, and the code can be downloaded from Code.Location.
	got, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("mgmt-one")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Tags["team"] != "core" || got.Configuration.Environment.Variables["GREETING"] != "hi" {
		t.Errorf("GetFunction tags/env: %v %v", got.Tags, got.Configuration.Environment)
	}
	resp, err := http.Get(aws.ToString(got.Code.Location))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != string(zip) {
		t.Errorf("download code: status %d, %d bytes, want the zip", resp.StatusCode, len(body))
	}
	tampered := strings.Replace(aws.ToString(got.Code.Location), "signature=", "signature=00", 1)
	if resp, err := http.Get(tampered); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("tampered code URL answered %v %v", resp.Status, err)
	}

	// Unknown function: Lambda's 404 and message.
	_, err = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || !strings.Contains(aws.ToString(nf.Message), "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope") {
		t.Errorf("get unknown: %v", err)
	}

	// Pagination over more functions.
	for i := 0; i < 5; i++ {
		createFunction(t, c, fmt.Sprintf("mgmt-page-%d", i), py)
	}
	var names []string
	pager := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{MaxItems: aws.Int32(2)})
	pages := 0
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.Functions) > 2 {
			t.Errorf("page of %d functions, MaxItems 2", len(page.Functions))
		}
		for _, f := range page.Functions {
			names = append(names, aws.ToString(f.FunctionName))
		}
	}
	if len(names) != 6 || pages != 3 {
		t.Errorf("listed %v over %d pages, want 6 functions over 3 pages", names, pages)
	}

	// Update configuration; a stale RevisionId is refused.
	rev := aws.ToString(got.Configuration.RevisionId)
	upd, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("mgmt-one"), MemorySize: aws.Int32(512), Timeout: aws.Int32(30), RevisionId: aws.String(rev)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(upd.MemorySize) != 512 || aws.ToString(upd.RevisionId) == rev || aws.ToString(upd.Description) != "first function" {
		t.Errorf("update config: memory %d revision %s description %q", aws.ToInt32(upd.MemorySize), aws.ToString(upd.RevisionId), aws.ToString(upd.Description))
	}
	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("mgmt-one"), Timeout: aws.Int32(5), RevisionId: aws.String(rev)})
	if apiCode(err) != "PreconditionFailedException" {
		t.Errorf("stale revision: %v", err)
	}

	// Update code.
	newZip := zipFiles(t, map[string][]byte{"app.py": []byte("def handler(e, c):\n    return 'v2'\n")})
	code, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("mgmt-one"), ZipFile: newZip})
	if err != nil {
		t.Fatal(err)
	}
	if code.CodeSize != int64(len(newZip)) || aws.ToString(code.RevisionId) == aws.ToString(upd.RevisionId) {
		t.Errorf("update code: size %d revision %s", code.CodeSize, aws.ToString(code.RevisionId))
	}

	// Tags.
	arn := aws.ToString(created.FunctionArn)
	if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"env": "test"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 1 || tags.Tags["env"] != "test" {
		t.Errorf("tags = %v, want only env=test", tags.Tags)
	}

	acct, err := c.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if acct.AccountUsage.FunctionCount != 6 || acct.AccountLimit.ConcurrentExecutions != 1000 {
		t.Errorf("account settings: %+v %+v", acct.AccountUsage, acct.AccountLimit)
	}

	// Delete.
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("mgmt-one")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("mgmt-one")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("get after delete: %v", err)
	}
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("mgmt-one")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("second delete: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	ctx := context.Background()
	good := pythonZip(t)
	base := func() *lambda.CreateFunctionInput {
		return &lambda.CreateFunctionInput{FunctionName: aws.String("bad-input"), Runtime: types.RuntimePython312,
			Handler: aws.String("app.handler"), Role: aws.String("arn:aws:iam::000000000000:role/r"), Code: &types.FunctionCode{ZipFile: good}}
	}
	tests := []struct {
		name   string
		mutate func(*lambda.CreateFunctionInput)
		code   string
	}{
		{"bad name", func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String("no spaces allowed") }, "ValidationException"},
		{"long name", func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String(strings.Repeat("a", 65)) }, "ValidationException"},
		{"unknown runtime", func(in *lambda.CreateFunctionInput) { in.Runtime = "cobol85" }, "InvalidParameterValueException"},
		{"deprecated runtime", func(in *lambda.CreateFunctionInput) { in.Runtime = "python2.7" }, "InvalidParameterValueException"},
		{"memory too small", func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(64) }, "ValidationException"},
		{"memory too large", func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(10241) }, "ValidationException"},
		{"timeout too long", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(901) }, "ValidationException"},
		{"ephemeral too small", func(in *lambda.CreateFunctionInput) {
			in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(100)}
		}, "ValidationException"},
		{"reserved env key", func(in *lambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{"AWS_REGION": "x"}}
		}, "InvalidParameterValueException"},
		{"bad env key", func(in *lambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{"1BAD": "x"}}
		}, "ValidationException"},
		{"env over 4 KB", func(in *lambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{"BIG": strings.Repeat("x", 4100)}}
		}, "InvalidParameterValueException"},
		{"not a zip", func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = []byte("plain text, not a zip") }, "InvalidParameterValueException"},
		{"zip slip", func(in *lambda.CreateFunctionInput) {
			in.Code.ZipFile = zipFiles(t, map[string][]byte{"../../evil.py": []byte("x")})
		}, "InvalidParameterValueException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			tt.mutate(in)
			_, err := c.CreateFunction(ctx, in)
			if got := apiCode(err); got != tt.code {
				t.Fatalf("error = %v (code %q), want %s", err, got, tt.code)
			}
		})
	}
	// Nothing half-written: the name is still free.
	if _, err := c.CreateFunction(ctx, base()); err != nil {
		t.Fatalf("create after failed attempts: %v", err)
	}
}
