package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// BenchmarkWarmFunctionURL is one warm invocation through a public
// (AuthType NONE) function URL with plain HTTP: the URL path's cost
// (policy check, 2.0 event, response mapping) against
// BenchmarkWarmInvokeSigned's SigV4 path, in the same run.
func BenchmarkWarmFunctionURL(b *testing.B) {
	addr, lc, client := inProcess(b)
	ctx := context.Background()
	cfg, err := lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{
		FunctionName: aws.String("hello"), AuthType: types.FunctionUrlAuthTypeNone})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := lc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("hello"),
		StatementId: aws.String("url"), Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"),
		FunctionUrlAuthType: types.FunctionUrlAuthTypeNone}); err != nil {
		b.Fatal(err)
	}
	u, _ := url.Parse(aws.ToString(cfg.FunctionUrl))
	call := func() error {
		req, _ := http.NewRequest("GET", "http://"+addr+"/bench?x=1", nil)
		req.Host = u.Host
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("function URL answered %d", resp.StatusCode)
		}
		return nil
	}
	if err := call(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := call(); err != nil {
			b.Fatal(err)
		}
	}
}
