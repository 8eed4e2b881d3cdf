package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// publicURLStatement is the Sid of the statement `hearth url create
// --auth NONE` adds, as Lambda's console does, so that anyone may call the
// URL.
const publicURLStatement = "FunctionURLAllowPublicAccess"

// url manages a function's URL: hearth url create|get|delete FUNCTION.
func url(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, cf := newFlagSet("url create|get|delete FUNCTION [flags]", getenv, stderr)
	auth := fs.String("auth", "NONE", "create: NONE (public; adds the permission statement) or AWS_IAM (SigV4-signed calls only)")
	qualifier := fs.String("qualifier", "", "an alias, or $LATEST (the default)")
	mode := fs.String("invoke-mode", "BUFFERED", "create: BUFFERED or RESPONSE_STREAM")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) != 2 {
		return badUsage(fs, "needs a subcommand (create, get or delete) and a function name")
	}
	c, err := cf.client(getenv)
	if err != nil {
		return failure("url", stderr, err)
	}
	lc, name := c.Lambda(), aws.String(pos[1])
	var q *string
	if *qualifier != "" {
		q = qualifier
	}
	switch pos[0] {
	case "create":
		out, err := lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{
			FunctionName: name, Qualifier: q, AuthType: types.FunctionUrlAuthType(*auth), InvokeMode: types.InvokeMode(*mode)})
		if err != nil {
			return failure("url", stderr, err)
		}
		if *auth == "NONE" {
			_, err := lc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: name, Qualifier: q,
				StatementId: aws.String(publicURLStatement), Action: aws.String("lambda:InvokeFunctionUrl"),
				Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone})
			var conflict *types.ResourceConflictException
			if err != nil && !errors.As(err, &conflict) {
				return failure("url", stderr, err)
			}
		}
		fmt.Fprintln(stdout, aws.ToString(out.FunctionUrl))
	case "get":
		out, err := lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: name, Qualifier: q})
		if err != nil {
			return failure("url", stderr, err)
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\n", aws.ToString(out.FunctionUrl), out.AuthType, out.InvokeMode)
	case "delete":
		_, err := lc.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: name, Qualifier: q})
		if err != nil {
			return failure("url", stderr, err)
		}
	default:
		return badUsage(fs, "unknown subcommand "+pos[0]+"; use create, get or delete")
	}
	return 0
}
