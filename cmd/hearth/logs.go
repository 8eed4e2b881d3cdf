package main

import (
	"context"
	"io"

	"github.com/hearth-run/hearth/internal/client"
)

func logs(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, cf := newFlagSet("logs FUNCTION [-f] [--stream NAME] [flags]", getenv, stderr)
	var opts client.LogOptions
	fs.BoolVar(&opts.Follow, "f", false, "follow: keep printing new output until interrupted")
	fs.StringVar(&opts.Stream, "stream", "", "show only this log stream")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) != 1 {
		return badUsage(fs, "want one function")
	}
	c, err := cf.client(getenv)
	if err != nil {
		return failure("logs", stderr, err)
	}
	if err := c.Logs(ctx, pos[0], opts, stdout); err != nil {
		return failure("logs", stderr, err)
	}
	return 0
}
