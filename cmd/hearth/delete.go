package main

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

func deleteFunction(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, cf := newFlagSet("delete FUNCTION [--qualifier VERSION] [flags]", getenv, stderr)
	qualifier := fs.String("qualifier", "", "delete only this version")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) != 1 {
		return badUsage(fs, "want one function")
	}
	c, err := cf.client(getenv)
	if err != nil {
		return failure("delete", stderr, err)
	}
	in := &lambda.DeleteFunctionInput{FunctionName: aws.String(pos[0])}
	what := pos[0]
	if *qualifier != "" {
		in.Qualifier = qualifier
		what += ":" + *qualifier
	}
	if _, err := c.Lambda().DeleteFunction(ctx, in); err != nil {
		return failure("delete", stderr, err)
	}
	fmt.Fprintf(stdout, "deleted %s\n", what)
	return 0
}
