package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/hearth-run/hearth/internal/client"
)

func deploy(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, cf := newFlagSet("deploy DIR --runtime RUNTIME [--handler HANDLER] [flags]", getenv, stderr)
	var d client.Deployment
	var memory, timeout int
	fs.StringVar(&d.Name, "name", "", "function name (default: the directory's name, unless it is a generic one such as dist, build or src)")
	fs.StringVar(&d.Runtime, "runtime", "", "runtime, e.g. python3.12, nodejs20.x, provided.al2023 (required to create)")
	fs.StringVar(&d.Handler, "handler", "", "handler, e.g. app.handler (required to create; provided.* runtimes default to "+client.DefaultProvidedHandler+")")
	fs.StringVar(&d.Role, "role", "", "execution role ARN (default "+client.DefaultRole+")")
	fs.IntVar(&memory, "memory", 0, "memory in MB (default: Lambda's 128, or unchanged)")
	fs.IntVar(&timeout, "timeout", 0, "timeout in seconds (default: Lambda's 3, or unchanged)")
	fs.Func("env", "environment variable `K=V`; repeat for more; given at all, they replace the function's variables (--env '' clears them)", func(kv string) error {
		if d.Env == nil {
			d.Env = map[string]string{}
		}
		if kv == "" {
			return nil
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("want K=V, got %q", kv)
		}
		if d.Env == nil {
			d.Env = map[string]string{}
		}
		d.Env[k] = v
		return nil
	})
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) != 1 {
		return badUsage(fs, "want one directory")
	}
	d.Dir, d.MemoryMB, d.Timeout = pos[0], int32(memory), int32(timeout)
	if d.Name == "" {
		abs, err := filepath.Abs(d.Dir)
		if err != nil {
			return failure("deploy", stderr, err)
		}
		d.Name = filepath.Base(abs)
		if genericDirs[d.Name] {
			return badUsage(fs, fmt.Sprintf("the directory is named %q, which says nothing about the function: give --name", d.Name))
		}
	}
	c, err := cf.client(getenv)
	if err != nil {
		return failure("deploy", stderr, err)
	}
	res, err := c.Deploy(ctx, d)
	if errors.Is(err, client.ErrMissingConfig) {
		return badUsage(fs, client.Describe(err)+" (--runtime, and --handler unless the runtime is provided.*)")
	}
	if err != nil {
		return failure("deploy", stderr, err)
	}
	cfg := res.Config
	what := "updated"
	switch {
	case res.Created:
		what = "created"
	case !res.CodeChanged && !res.ConfigChanged:
		what = "unchanged"
	}
	fmt.Fprintf(stdout, "%s %s: %s %s, %d MB, %d s, code %s (%d bytes)\n", what, aws.ToString(cfg.FunctionName),
		cfg.Runtime, aws.ToString(cfg.Handler), aws.ToInt32(cfg.MemorySize), aws.ToInt32(cfg.Timeout),
		aws.ToString(cfg.CodeSha256), cfg.CodeSize)
	return 0
}

// genericDirs are directory names that a build leaves and that name no
// function; deploy wants --name for them.
var genericDirs = map[string]bool{"dist": true, "build": true, "src": true, "out": true, "bin": true, "target": true}
