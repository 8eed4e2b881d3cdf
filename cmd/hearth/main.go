// Command hearth is a self-hosted, AWS-Lambda-compatible serverless runtime.
//
//	hearth serve [flags]                        run the server (see hearth serve -h)
//	hearth deploy DIR --runtime R --handler H   create or update a function from a directory
//	hearth invoke FUNCTION [PAYLOAD]            invoke a function
//	hearth logs FUNCTION [-f]                   print (and follow) a function's logs
//	hearth ps [FUNCTION]                        list live execution environments
//	hearth functions                            list functions
//	hearth runtimes [import|pull RUNTIME ...]   list what each runtime name runs on; add runtime images
//	hearth delete FUNCTION                      delete a function
//	hearth console                              print a one-time login link to the web console
//	hearth version                              print the version and commit
//	hearth url create|get|delete FUNCTION       manage a function's URL
//	hearth store check [--data-dir DIR]         check the metadata store for damage
//	hearth cluster status                       show a cluster's members, streams and leases
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/hearth-run/hearth/internal/sandbox"
)

func main() {
	sandbox.Init() // returns at once unless this process is an environment's init
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "deploy":
		return deploy(ctx, args[1:], getenv, stdout, stderr)
	case "invoke":
		return invoke(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "logs":
		return logs(ctx, args[1:], getenv, stdout, stderr)
	case "ps":
		return ps(ctx, args[1:], getenv, stdout, stderr)
	case "functions":
		return functions(ctx, args[1:], getenv, stdout, stderr)
	case "cluster":
		return cluster(ctx, args[1:], getenv, stdout, stderr)
	case "runtimes":
		return runtimesCmd(ctx, args[1:], getenv, stdout, stderr)
	case "console":
		return consoleLogin(ctx, args[1:], getenv, stdout, stderr)
	case "delete":
		return deleteFunction(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version", "-version":
		return printVersion(args[1:], stdout, stderr)
	case "url":
		return url(ctx, args[1:], getenv, stdout, stderr)
	case "store":
		return storeCmd(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "hearth: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `usage: hearth <command> [flags]

commands:
  serve      run the Lambda-compatible API and execution environments
  deploy     create or update a function from a directory
  invoke     invoke a function and print its result
  logs       print a function's logs; -f follows them
  ps         list live execution environments
  functions  list functions
  runtimes   list the interpreter each runtime name resolves to on this host;
             runtimes import RUNTIME PATH | runtimes pull RUNTIME [IMAGE] add a runtime image
  console    print a one-time login link to the web console
  delete     delete a function (or one version)
  version    print the version, commit and build date
  url        create, show or delete a function URL (create|get|delete FUNCTION)
  store      check the data dir's metadata store for damage (store check)
  cluster    show a cluster's members, stream replication and leases (cluster status)

Client commands reach Hearth at --endpoint (env HEARTH_ENDPOINT, default
http://127.0.0.1:9911) with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or with
the credentials in the local data dir (--data-dir, env HEARTH_DATA_DIR).
Run hearth COMMAND -h for a command's flags.`)
}
