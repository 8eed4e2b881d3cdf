package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"github.com/hearth-run/hearth/internal/runtimes"
)

// runtimesCmd prints the runtime catalogue: what each runtime name
// resolves to on this host under the given flags.
func runtimesCmd(_ context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hearth runtimes", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("runtime-dir", getenv("HEARTH_RUNTIME_DIR"), "directory of interpreters by runtime name (env HEARTH_RUNTIME_DIR)")
	fallback := getenv("HEARTH_RUNTIME_FALLBACK")
	if fallback == "" {
		fallback = runtimes.FallbackNearest
	}
	fs.StringVar(&fallback, "runtime-fallback", fallback, "nearest or refuse (env HEARTH_RUNTIME_FALLBACK)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cat, err := runtimes.NewCatalogue(runtimes.CatalogueOptions{
		RuntimeDir: *dir, Fallback: fallback, SearchPath: getenv("PATH"),
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		fmt.Fprintf(stderr, "hearth runtimes: %v\n", err)
		return 2
	}
	printCatalogue(stdout, cat.All())
	return 0
}

// printCatalogue writes one line per runtime: name, how it resolves
// (exact, nearest, refused, not installed), version, source and path.
func printCatalogue(w io.Writer, all []runtimes.Resolution) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUNTIME\tRESOLVES\tVERSION\tSOURCE\tPATH")
	for _, r := range all {
		in := r.Interp
		status := "exact"
		switch {
		case r.Runtime.Family == runtimes.FamilyProvided && in == nil:
			fmt.Fprintf(tw, "%s\texact\t-\thost\t/var/task/bootstrap (the function's own)\n", r.Runtime.Name)
			continue
		case in == nil && r.Nearest != nil:
			fmt.Fprintf(tw, "%s\trefused\t-\t-\tnot installed (nearest: %s %s, not used: --runtime-fallback refuse)\n",
				r.Runtime.Name, r.Nearest.Version, r.Nearest.Path)
			continue
		case in == nil:
			fmt.Fprintf(tw, "%s\tnot installed\t-\t-\t-\n", r.Runtime.Name)
			continue
		case !r.Exact:
			status = "nearest"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Runtime.Name, status, in.Version, in.Source, in.Path)
	}
	tw.Flush()
}
