package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

func consoleLogin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, cf := newFlagSet("console [flags]", getenv, stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) != 0 {
		return badUsage(fs, "takes no arguments")
	}
	c, err := cf.client(getenv)
	if err != nil {
		return failure("console", stderr, err)
	}
	login, err := c.ConsoleURL(ctx)
	if err != nil {
		return failure("console", stderr, err)
	}
	fmt.Fprintf(stderr, "Open this link in a browser within %s; it signs in once:\n",
		time.Until(login.Expires).Round(time.Second))
	fmt.Fprintln(stdout, login.URL)
	return 0
}
