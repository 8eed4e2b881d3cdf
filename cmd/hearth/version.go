package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/hearth-run/hearth/internal/sandbox"
)

// Set at link time by `make release`
// (-ldflags "-X main.version=… -X main.commit=… -X main.buildDate=…");
// when empty, the Go toolchain's build information is used.
var (
	version   string
	commit    string
	buildDate string
)

// buildInfo is what `hearth version` prints.
type buildInfo struct {
	Version, Commit, Date, Go string
	Modified                  bool
}

// readBuildInfo combines the link-time stamps with debug.ReadBuildInfo:
// the module version and the VCS revision, time and modified flag that
// `go build` records in a repository checkout.
func readBuildInfo() buildInfo {
	info, _ := debug.ReadBuildInfo()
	return combineBuildInfo(info, version, commit, buildDate)
}

// combineBuildInfo prefers the stamps and falls back on info (which may be
// nil).
func combineBuildInfo(info *debug.BuildInfo, version, commit, buildDate string) buildInfo {
	bi := buildInfo{Version: version, Commit: commit, Date: buildDate, Go: runtime.Version()}
	if info != nil {
		if bi.Version == "" {
			bi.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if bi.Commit == "" {
					bi.Commit = s.Value
				}
			case "vcs.time":
				if bi.Date == "" {
					bi.Date = s.Value
				}
			case "vcs.modified":
				bi.Modified = s.Value == "true" && commit == ""
			}
		}
	}
	for _, p := range []*string{&bi.Version, &bi.Commit, &bi.Date} {
		if *p == "" {
			*p = "unknown"
		}
	}
	return bi
}

func printVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "usage: hearth version")
		return 2
	}
	bi := readBuildInfo()
	dirty := ""
	if bi.Modified {
		dirty = " (modified)"
	}
	fmt.Fprintf(stdout, "hearth %s\ncommit: %s%s\nbuilt: %s\ngo: %s\n", bi.Version, bi.Commit, dirty, bi.Date, bi.Go)
	if n, ok := sandbox.EmbeddedInit(); ok {
		fmt.Fprintf(stdout, "sandbox init: embedded (%d KiB)\n", n>>10)
	} else {
		fmt.Fprintln(stdout, "sandbox init: not embedded (environments re-execute hearth; build with make build)")
	}
	return 0
}
