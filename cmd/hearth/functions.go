package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

func functions(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, cf := newFlagSet("functions [flags]", getenv, stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) != 0 {
		return badUsage(fs, "takes no arguments")
	}
	c, err := cf.client(getenv)
	if err != nil {
		return failure("functions", stderr, err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tRUNTIME\tHANDLER\tMEMORY\tTIMEOUT\tCODE SIZE\tLAST MODIFIED")
	pages := lambda.NewListFunctionsPaginator(c.Lambda(), &lambda.ListFunctionsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return failure("functions", stderr, err)
		}
		for _, f := range page.Functions {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d MB\t%d s\t%d\t%s\n", aws.ToString(f.FunctionName), f.Runtime,
				aws.ToString(f.Handler), aws.ToInt32(f.MemorySize), aws.ToInt32(f.Timeout), f.CodeSize,
				aws.ToString(f.LastModified))
		}
	}
	if err := tw.Flush(); err != nil {
		return failure("functions", stderr, err)
	}
	return 0
}
