// Command bench measures Hearth on this machine: cold and warm invocation
// latency, throughput, bursts, the seed's invocation patterns with timeline
// pictures, the same function under AWS's Lambda Runtime Interface Emulator
// and a no-op loopback server for comparison, and Hearth's memory.
//
//	go run ./bench [scenario...] [--short] [--json] [--out DIR]
//
// Each scenario starts its own Hearth on a temporary data dir and a free
// port, deploys its own functions and stops it again. Scenarios: cold,
// isolation, warm, freeze, burst, patterns, peer, memory, async, cluster (all when
// none is named). --short runs few
// iterations; it checks correctness only, which is what the Go test does.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

// Options configures a run.
type Options struct {
	// Short runs few iterations: enough to check correctness, not to time.
	Short bool
	// OutDir receives the timeline pictures; empty writes none.
	OutDir string
	// Progress receives one line per step; nil is silent.
	Progress io.Writer
}

// scenario is one measured situation.
type scenario struct {
	name string
	run  func(ctx context.Context, tb *toolbox, o Options) (*Result, error)
}

var scenarios = []scenario{
	{"cold", runCold},
	{"isolation", runIsolation},
	{"compare", runCompare},
	{"warm", runWarm},
	{"freeze", runFreeze},
	{"burst", runBurst},
	{"patterns", runPatterns},
	{"peer", runPeer},
	{"memory", runMemory},
	{"async", runAsync},
	{"cluster", runCluster},
}

// Run runs the named scenarios (all when names is empty) in order.
func Run(ctx context.Context, names []string, o Options) ([]*Result, error) {
	chosen := scenarios
	if len(names) > 0 {
		chosen = nil
		for _, n := range names {
			found := false
			for _, s := range scenarios {
				if s.name == n {
					chosen, found = append(chosen, s), true
				}
			}
			if !found {
				return nil, fmt.Errorf("unknown scenario %q", n)
			}
		}
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	tb, err := newToolbox()
	if err != nil {
		return nil, err
	}
	defer tb.Close()
	var results []*Result
	for _, s := range chosen {
		begin := time.Now()
		fmt.Fprintf(o.Progress, "scenario %s…\n", s.name)
		r, err := s.run(ctx, tb, o)
		if err != nil {
			return results, fmt.Errorf("%s: %w", s.name, err)
		}
		fmt.Fprintf(o.Progress, "scenario %s done in %s\n", s.name, time.Since(begin).Round(time.Millisecond))
		results = append(results, r)
	}
	return results, nil
}

func main() {
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	short := fs.Bool("short", false, "few iterations: check correctness, do not time")
	asJSON := fs.Bool("json", false, "print JSON instead of tables")
	out := fs.String("out", "bench-out", "directory for the timeline pictures")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run ./bench [cold|compare|warm|burst|patterns|peer|memory ...] [--short] [--json] [--out DIR]")
		fs.PrintDefaults()
	}
	// Flags may follow scenario names.
	var names []string
	args := os.Args[1:]
	for len(args) > 0 {
		_ = fs.Parse(args)
		args = fs.Args()
		if len(args) > 0 {
			names = append(names, args[0])
			args = args[1:]
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(os.Stderr, "hearth bench: %s/%s, %d CPUs, %s, short=%v\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), *short)
	results, err := Run(ctx, names, Options{Short: *short, OutDir: *out, Progress: os.Stderr})
	if *asJSON {
		_ = writeJSON(os.Stdout, results)
	} else {
		writeText(os.Stdout, results)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	for _, r := range results {
		if len(r.Problems) > 0 {
			os.Exit(1)
		}
	}
}
