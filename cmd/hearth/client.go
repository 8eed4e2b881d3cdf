package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/hearth-run/hearth/internal/client"
)

// clientFlags are the flags of every command that talks to a running
// Hearth.
type clientFlags struct {
	endpoint string
	dataDir  string
}

// newFlagSet returns the flag set of a client command with the shared
// flags already defined.
// synopsis is the usage line after "hearth".
func newFlagSet(synopsis string, getenv func(string) string, stderr io.Writer) (*flag.FlagSet, *clientFlags) {
	name, _, _ := strings.Cut(synopsis, " ")
	fs := flag.NewFlagSet("hearth "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: hearth %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	cf := &clientFlags{}
	fs.StringVar(&cf.endpoint, "endpoint", orDefault(getenv("HEARTH_ENDPOINT"), client.DefaultEndpoint),
		"URL of Hearth's API (env HEARTH_ENDPOINT)")
	fs.StringVar(&cf.dataDir, "data-dir", orDefault(getenv("HEARTH_DATA_DIR"), "./hearth-data"),
		"data dir of the local hearth serve, whose credentials are used when AWS_ACCESS_KEY_ID is not set (env HEARTH_DATA_DIR)")
	return fs, cf
}

// client returns a client for the flags and the environment.
func (cf *clientFlags) client(getenv func(string) string) (*client.Client, error) {
	id, secret, err := client.ResolveCredentials(getenv, cf.dataDir)
	if err != nil {
		return nil, err
	}
	region := getenv("HEARTH_REGION")
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if region == "" {
			region = getenv(k)
		}
	}
	return client.New(client.Options{Endpoint: cf.endpoint, Region: region, AccessKeyID: id, SecretAccessKey: secret,
		CABundle: getenv("AWS_CA_BUNDLE")})
}

// parseArgs parses flags wherever they stand among the positional
// arguments (`hearth invoke fn '{}' --tail`) and returns the positional
// ones; everything after "--" is positional.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if i := len(args) - len(rest) - 1; i >= 0 && args[i] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseFailed is the exit status after a flag error, which the flag set
// has already printed with the usage: 2, or 0 when -h asked for help.
func parseFailed(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// badUsage prints a problem with the command line and the usage, and
// returns exit status 2.
func badUsage(fs *flag.FlagSet, msg string) int {
	fmt.Fprintf(fs.Output(), "%s: %s\n", fs.Name(), msg)
	fs.Usage()
	return 2
}

// failure prints err with Lambda's error type and message and returns
// exit status 1.
func failure(name string, stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "hearth %s: %s\n", name, client.Describe(err))
	return 1
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
