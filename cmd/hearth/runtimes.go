package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hearth-run/hearth/internal/images"
	"github.com/hearth-run/hearth/internal/runtimes"
	"github.com/hearth-run/hearth/internal/server"
)

// runtimesCmd is `hearth runtimes [import|pull]`: without a subcommand it
// prints the runtime catalogue, what each runtime name resolves to on
// this host under the given flags.
func runtimesCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "import" || args[0] == "pull") {
		return runtimeImage(ctx, args[0], args[1:], getenv, stdout, stderr)
	}
	fs := flag.NewFlagSet("hearth runtimes", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := dataDirFlag(fs, getenv)
	dir := fs.String("runtime-dir", getenv("HEARTH_RUNTIME_DIR"), "directory of interpreters by runtime name (env HEARTH_RUNTIME_DIR)")
	fallback := getenv("HEARTH_RUNTIME_FALLBACK")
	if fallback == "" {
		fallback = runtimes.FallbackNearest
	}
	fs.StringVar(&fallback, "runtime-fallback", fallback, "nearest or refuse (env HEARTH_RUNTIME_FALLBACK)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cat, err := server.Catalogue(server.CatalogueOptions{
		DataDir: *dataDir, RuntimeDir: *dir, Fallback: fallback, SearchPath: getenv("PATH"),
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		fmt.Fprintf(stderr, "hearth runtimes: %v\n", err)
		return 2
	}
	printCatalogue(stdout, cat.All())
	return 0
}

func dataDirFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	def := getenv("HEARTH_DATA_DIR")
	if def == "" {
		def = "./hearth-data"
	}
	return fs.String("data-dir", def, "Hearth's data dir, which keeps runtime images (env HEARTH_DATA_DIR)")
}

// defaultImages are AWS's public base images of each runtime.
var defaultImages = map[string]string{
	"python3.9": "public.ecr.aws/lambda/python:3.9", "python3.10": "public.ecr.aws/lambda/python:3.10",
	"python3.11": "public.ecr.aws/lambda/python:3.11", "python3.12": "public.ecr.aws/lambda/python:3.12",
	"python3.13": "public.ecr.aws/lambda/python:3.13", "nodejs18.x": "public.ecr.aws/lambda/nodejs:18",
	"nodejs20.x": "public.ecr.aws/lambda/nodejs:20", "nodejs22.x": "public.ecr.aws/lambda/nodejs:22",
	"provided.al2": "public.ecr.aws/lambda/provided:al2", "provided.al2023": "public.ecr.aws/lambda/provided:al2023",
}

// runtimeImage is `hearth runtimes import NAME PATH` and
// `hearth runtimes pull NAME [IMAGE]`.
func runtimeImage(ctx context.Context, verb string, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hearth runtimes "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := dataDirFlag(fs, getenv)
	insecure := fs.Bool("insecure", false, "pull: allow plain HTTP and unverified TLS (registries on loopback always may)")
	if err := fs.Parse(interleave(args)); err != nil {
		return 2
	}
	name := fs.Arg(0)
	if _, ok := runtimes.Lookup(name); !ok || fs.NArg() < 1 || fs.NArg() > 2 || verb == "import" && fs.NArg() != 2 {
		fmt.Fprintf(stderr, "usage: hearth runtimes import RUNTIME PATH | hearth runtimes pull RUNTIME [IMAGE]\n"+
			"  PATH: an OCI image layout directory or a docker save tarball; RUNTIME: e.g. python3.12\n")
		return 2
	}
	store, err := images.Open(server.ImageDir(*dataDir))
	if err != nil {
		fmt.Fprintf(stderr, "hearth runtimes %s: %v\n", verb, err)
		return 1
	}
	source := fs.Arg(1)
	if source == "" {
		source = defaultImages[name]
	}
	var img v1.Image
	if verb == "pull" {
		img, err = images.Pull(ctx, source, images.PullOptions{Insecure: *insecure})
	} else {
		img, err = images.FromPath(source)
	}
	if err == nil {
		var rec images.Record
		if rec, err = store.SetRuntime(name, source, img); err == nil {
			fmt.Fprintf(stdout, "%s: %s (%s) unpacked in %s\n", name, source, rec.Digest, rec.RootFS)
			return 0
		}
	}
	fmt.Fprintf(stderr, "hearth runtimes %s: %v\n", verb, err)
	return 1
}

// interleave moves flags before positional arguments, so that
// `import NAME PATH --data-dir D` parses like `import --data-dir D NAME PATH`.
func interleave(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--insecure" || a == "-insecure":
			flags = append(flags, a)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			if !containsEq(a) && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			pos = append(pos, a)
		}
	}
	return append(flags, pos...)
}

func containsEq(s string) bool {
	for _, c := range s {
		if c == '=' {
			return true
		}
	}
	return false
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
		p := in.Path
		if in.Source == runtimes.SourceImage {
			if p == "" {
				p = "/var/task/bootstrap"
			}
			p += " in " + in.RootFS
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Runtime.Name, status, in.Version, in.Source, p)
	}
	tw.Flush()
}
