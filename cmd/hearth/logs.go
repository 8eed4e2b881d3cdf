package main

import (
	"context"
	"io"
	"time"

	"github.com/hearth-run/hearth/internal/client"
)

func logs(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, cf := newFlagSet("logs FUNCTION [-f] [-n LINES] [--since DURATION] [--stream NAME] [flags]", getenv, stderr)
	var opts client.LogOptions
	fs.BoolVar(&opts.Follow, "f", false, "follow: keep printing new output until interrupted")
	fs.StringVar(&opts.Stream, "stream", "", "show only this log stream")
	fs.IntVar(&opts.Lines, "n", 0, "show only the last `LINES` lines of each stream (then follow, with -f)")
	since := fs.Duration("since", 0, "show only streams written in the last `DURATION`, e.g. 10m")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) != 1 {
		return badUsage(fs, "want one function")
	}
	if opts.Lines < 0 || *since < 0 {
		return badUsage(fs, "-n and --since must not be negative")
	}
	if *since > 0 {
		opts.Since = time.Now().Add(-*since)
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
