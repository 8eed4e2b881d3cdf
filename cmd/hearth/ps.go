package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/hearth-run/hearth/internal/client"
)

func ps(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, cf := newFlagSet("ps [FUNCTION] [flags]", getenv, stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) > 1 {
		return badUsage(fs, "want at most one function")
	}
	c, err := cf.client(getenv)
	if err != nil {
		return failure("ps", stderr, err)
	}
	var fn string
	if len(pos) == 1 {
		fn = pos[0]
	}
	envs, err := c.Environments(ctx, fn)
	if err != nil {
		return failure("ps", stderr, err)
	}
	if fn != "" && len(envs) == 0 {
		// No environments: say so if that is because there is no such
		// function.
		if _, err := c.Lambda().GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: &fn}); err != nil {
			return failure("ps", stderr, err)
		}
	}
	slices.SortFunc(envs, func(a, b client.Environment) int {
		return cmp.Or(cmp.Compare(a.Function, b.Function), cmp.Compare(a.Version, b.Version), cmp.Compare(a.ID, b.ID))
	})
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tVERSION\tSTATE\tFROZEN\tPROVISIONED\tINVOCATIONS\tPID\tLOG STREAM")
	for _, e := range envs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", e.Function, e.Version, e.State,
			yesNo(e.Frozen), yesNo(e.Provisioned), e.Invocations, e.Pid, e.LogStream)
	}
	if err := tw.Flush(); err != nil {
		return failure("ps", stderr, err)
	}
	return 0
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
