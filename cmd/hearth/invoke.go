package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func invoke(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, cf := newFlagSet("invoke FUNCTION [PAYLOAD | -] [flags]", getenv, stderr)
	qualifier := fs.String("qualifier", "", "version or alias to invoke")
	event := fs.Bool("event", false, "invoke asynchronously (InvocationType Event)")
	tail := fs.Bool("tail", false, "print the invocation's log tail to stderr")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) < 1 || len(pos) > 2 {
		return badUsage(fs, "want a function and at most one payload")
	}
	in := &lambda.InvokeInput{FunctionName: aws.String(pos[0])}
	if len(pos) == 2 {
		in.Payload = []byte(pos[1])
		if pos[1] == "-" {
			if in.Payload, err = io.ReadAll(stdin); err != nil {
				return failure("invoke", stderr, err)
			}
		}
	}
	if *qualifier != "" {
		in.Qualifier = qualifier
	}
	if *event {
		in.InvocationType = types.InvocationTypeEvent
	} else if *tail {
		in.LogType = types.LogTypeTail
	}
	c, err := cf.client(getenv)
	if err != nil {
		return failure("invoke", stderr, err)
	}
	out, err := c.Lambda().Invoke(ctx, in)
	if err != nil {
		return failure("invoke", stderr, err)
	}
	if *event {
		fmt.Fprintf(stderr, "hearth invoke: queued (status %d)\n", out.StatusCode)
		return 0
	}
	if out.LogResult != nil {
		if log, err := base64.StdEncoding.DecodeString(*out.LogResult); err == nil {
			stderr.Write(log)
		}
	}
	stdout.Write(out.Payload)
	if n := len(out.Payload); n > 0 && out.Payload[n-1] != '\n' {
		fmt.Fprintln(stdout)
	}
	if out.FunctionError != nil {
		fmt.Fprintf(stderr, "hearth invoke: function error (%s)\n", *out.FunctionError)
		return 1
	}
	return 0
}
