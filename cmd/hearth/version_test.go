package main

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"
)

func TestCombineBuildInfo(t *testing.T) {
	info := &debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-12-01T20:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	tests := []struct {
		name                   string
		info                   *debug.BuildInfo
		version, commit, built string
		want                   buildInfo
	}{
		{"from the toolchain", info, "", "", "", buildInfo{Version: "v0.3.0", Commit: "abc123", Date: "2026-12-01T20:00:00Z", Modified: true}},
		{"stamped at link time", info, "v1.0.0", "def456", "2026-12-02", buildInfo{Version: "v1.0.0", Commit: "def456", Date: "2026-12-02"}},
		{"nothing known", nil, "", "", "", buildInfo{Version: "unknown", Commit: "unknown", Date: "unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := combineBuildInfo(tt.info, tt.version, tt.commit, tt.built)
			got.Go = ""
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRunExitCodes(t *testing.T) {
	getenv := func(string) string { return "" }
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"version", []string{"version"}, 0, "commit: "},
		{"--version", []string{"--version"}, 0, "commit: "},
		{"version with an argument", []string{"version", "x"}, 2, ""},
		{"serve --help", []string{"serve", "--help"}, 0, ""},
		{"serve with a bad flag", []string{"serve", "--nope"}, 2, ""},
		{"delete without a function", []string{"delete"}, 2, ""},
		{"logs with negative -n", []string{"logs", "fn", "-n", "-3"}, 2, ""},
		{"no command", nil, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tt.args, getenv, strings.NewReader(""), &stdout, &stderr)
			if code != tt.code || !strings.Contains(stdout.String(), tt.out) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, stdout.String(), stderr.String(), tt.code, tt.out)
			}
		})
	}
}
