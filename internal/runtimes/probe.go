package runtimes

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// prober finds interpreters and asks each for its version, once.
type prober struct {
	log  *slog.Logger
	seen map[string]bool // real paths already probed
}

// systemDirs are the host directories every isolated environment sees;
// an interpreter below one of them needs no extra mount.
var systemDirs = []string{"/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/", "/etc/"}

// pythonMinors and nodeMajors are the versions Hearth has runtimes for.
var (
	pythonMinors = []string{"3.9", "3.10", "3.11", "3.12", "3.13"}
	nodeMajors   = []string{"18", "20", "22"}
)

// runtimeDir looks for rt's interpreter below dir/<name>/bin.
func (p *prober) runtimeDir(dir string, rt Runtime) *Interp {
	root := filepath.Join(dir, rt.Name)
	var names []string
	if rt.Family == FamilyPython {
		names = []string{"python" + rt.Feature(), "python3"}
	} else {
		names = []string{"node"}
	}
	for _, n := range names {
		path := filepath.Join(root, "bin", n)
		if !isExecutable(path) {
			continue
		}
		abs, err := filepath.Abs(root)
		if err != nil {
			continue
		}
		in := p.probe(rt.Family, filepath.Join(abs, "bin", n), SourceRuntimeDir)
		if in == nil {
			continue
		}
		if feature(rt.Family, in.Version) != rt.Feature() {
			p.log.Warn("runtime dir holds another version than its name says; ignored",
				"runtime", rt.Name, "path", path, "version", in.Version)
			return nil
		}
		in.Root = abs
		return in
	}
	return nil
}

// host finds a family's interpreters on searchPath: the versioned names
// (python3.12), the generic one (python3, node), and the versions a
// version manager (pyenv, nodenv) keeps next to its shims directory.
// The result is sorted by version; within a version, interpreters in the
// system directories come first, then PATH order.
func (p *prober) host(family, searchPath string) []*Interp {
	var names []string
	if family == FamilyPython {
		for _, m := range pythonMinors {
			names = append(names, "python"+m)
		}
		names = append(names, "python3")
	} else {
		names = []string{"node"}
	}
	var out []*Interp
	dirs := filepath.SplitList(searchPath)
	for _, d := range dirs {
		if d == "" || !filepath.IsAbs(d) {
			continue
		}
		// A version manager's shims only run the selected version, slowly;
		// every installed version is below ../versions, probed directly.
		if versions := filepath.Join(filepath.Dir(d), "versions"); filepath.Base(d) == "shims" && isDir(versions) {
			out = append(out, p.managed(family, versions, names)...)
			continue
		}
		for _, n := range names {
			path := filepath.Join(d, n)
			if !isExecutable(path) {
				continue
			}
			if in := p.probe(family, path, SourceHost); in != nil {
				out = append(out, in)
			}
		}
		// nvm puts one version's bin on PATH; the others are its siblings
		// below versions/node.
		if nodes := filepath.Dir(filepath.Dir(d)); filepath.Base(d) == "bin" && filepath.Base(nodes) == "node" &&
			filepath.Base(filepath.Dir(nodes)) == "versions" {
			out = append(out, p.managed(family, nodes, names)...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		fi, fj := feature(family, out[i].Version), feature(family, out[j].Version)
		if fi != fj {
			return versionNumber(family, fi) < versionNumber(family, fj)
		}
		return out[i].Root == "" && out[j].Root != ""
	})
	return out
}

// managed probes the interpreters of a version manager's versions dir.
func (p *prober) managed(family, versions string, names []string) []*Interp {
	entries, err := os.ReadDir(versions)
	if err != nil {
		return nil
	}
	var out []*Interp
	for _, e := range entries {
		for _, n := range names {
			path := filepath.Join(versions, e.Name(), "bin", n)
			if !isExecutable(path) {
				continue
			}
			if in := p.probe(family, path, SourceHost); in != nil {
				out = append(out, in)
			}
		}
	}
	return out
}

var versionRE = regexp.MustCompile(`(\d+)\.(\d+)\.(\d+)`)

// probe resolves path (a shim is asked for the executable it runs, a
// symlink followed) and runs it with --version. It returns nil when the
// interpreter does not answer, is not of a supported version, or was
// already probed under another name.
func (p *prober) probe(family, path, source string) *Interp {
	real := resolveShim(family, path)
	if r, err := filepath.EvalSymlinks(real); err == nil {
		real = r
	}
	if p.seen[real] {
		return nil
	}
	p.seen[real] = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, real, "--version").CombinedOutput()
	if err != nil {
		p.log.Debug("interpreter does not run", "path", path, "err", err)
		return nil
	}
	m := versionRE.FindString(string(out))
	if m == "" {
		return nil
	}
	f := feature(family, m)
	supported := pythonMinors
	if family == FamilyNode {
		supported = nodeMajors
	}
	if !contains(supported, f) {
		return nil
	}
	in := &Interp{Version: m, Path: real, Source: source}
	if !inSystemDirs(real) {
		// <prefix>/bin/<interpreter>: the prefix holds its libraries.
		in.Root = filepath.Dir(filepath.Dir(real))
	}
	return in
}

// resolveShim returns the executable a shim script runs, or path itself.
func resolveShim(family, path string) string {
	if !isScript(path) {
		return path
	}
	spec := interpreterSpecs[family]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, spec.selfPath...).Output()
	real := strings.TrimSpace(string(out))
	if err != nil || real == "" || !isExecutable(real) {
		return path
	}
	return real
}

func inSystemDirs(path string) bool {
	for _, d := range systemDirs {
		if strings.HasPrefix(path, d) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
