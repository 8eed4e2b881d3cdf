package runtimes

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// interpreterSpec says where a family's interpreter is looked for and how a
// shim (pyenv, nodenv, asdf…) is resolved to the real binary: by asking the
// interpreter itself for its executable, once.
type interpreterSpec struct {
	preferred string   // the distribution's interpreter, used when present
	name      string   // the name looked up on PATH otherwise
	selfPath  []string // arguments that make it print its real executable path
}

var interpreterSpecs = map[string]interpreterSpec{
	FamilyPython: {"/usr/bin/python3", "python3", []string{"-c", "import sys; sys.stdout.write(sys.executable)"}},
	FamilyNode:   {"/usr/bin/node", "node", []string{"-e", "process.stdout.write(process.execPath)"}},
}

var (
	// interpMu guards interpCache: resolved interpreter paths by family,
	// filled once per process. It is held while a shim is resolved, so that
	// concurrent first starts resolve only once.
	interpMu    sync.Mutex
	interpCache = map[string]string{}
)

// Interpreter returns the absolute path of the host interpreter for family
// ("python" or "nodejs"). It prefers /usr/bin/python3 and /usr/bin/node, else
// looks the name up on PATH; a script found there (a version-manager shim,
// ~100 ms per start) is resolved to the binary it runs. The answer is cached.
func Interpreter(family string) (string, error) {
	spec, ok := interpreterSpecs[family]
	if !ok {
		return "", fmt.Errorf("interpreter for %q: %w", family, ErrNoInterpreterFamily)
	}
	interpMu.Lock()
	defer interpMu.Unlock()
	if p, ok := interpCache[family]; ok {
		return p, nil
	}
	p, err := resolveInterpreter(spec)
	if err != nil {
		return "", fmt.Errorf("interpreter for %q: %w", family, err)
	}
	interpCache[family] = p
	return p, nil
}

func resolveInterpreter(spec interpreterSpec) (string, error) {
	if isExecutable(spec.preferred) {
		return spec.preferred, nil
	}
	p, err := exec.LookPath(spec.name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", spec.name, ErrNoInterpreter)
	}
	if !isScript(p) {
		return p, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, p, spec.selfPath...).Output()
	real := strings.TrimSpace(string(out))
	if err != nil || real == "" || !isExecutable(real) {
		return p, nil // the shim still works, only slower
	}
	return real, nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// isScript reports whether path starts with "#!", as shims do.
func isScript(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 2)
	n, _ := f.Read(head)
	return bytes.Equal(head[:n], []byte("#!"))
}
