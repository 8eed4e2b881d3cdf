package runtimes

import (
	"fmt"
	"path/filepath"
)

// Families of runtimes.
const (
	FamilyProvided = "provided"
	FamilyPython   = "python"
	FamilyNode     = "nodejs"
)

// Runtime is one Lambda runtime identifier and how Hearth runs it.
type Runtime struct {
	Name         string // Lambda's identifier, e.g. "python3.12"
	Family       string // FamilyProvided, FamilyPython or FamilyNode
	ExecutionEnv string // value of AWS_EXECUTION_ENV, e.g. "AWS_Lambda_python3.12"; "" for provided.*
}

// known lists every runtime Hearth accepts, keyed by name.
var known = func() map[string]Runtime {
	m := map[string]Runtime{}
	for _, n := range []string{"provided.al2023", "provided.al2"} {
		m[n] = Runtime{Name: n, Family: FamilyProvided}
	}
	for _, n := range []string{"python3.9", "python3.10", "python3.11", "python3.12", "python3.13"} {
		m[n] = Runtime{Name: n, Family: FamilyPython, ExecutionEnv: "AWS_Lambda_" + n}
	}
	for _, n := range []string{"nodejs18.x", "nodejs20.x", "nodejs22.x"} {
		m[n] = Runtime{Name: n, Family: FamilyNode, ExecutionEnv: "AWS_Lambda_" + n}
	}
	return m
}()

// Lookup returns the runtime called name, and whether Hearth supports it.
func Lookup(name string) (Runtime, bool) {
	r, ok := known[name]
	return r, ok
}

// Names returns the names of all supported runtimes, in no particular order.
func Names() []string {
	names := make([]string, 0, len(known))
	for n := range known {
		names = append(names, n)
	}
	return names
}

// Command returns the program that starts an environment of r and its
// arguments (not including argv[0]), ready for exec.Command(path, args...).
// taskRoot is where the function's code is seen by the process (/var/task in
// a sandbox) and runtimeRoot where Install's directory is seen (/var/runtime).
//
// provided.* runs taskRoot/bootstrap; python runs the host interpreter
// unbuffered (-u, print reaches the log at once) without writing .pyc files
// (-B, code trees are read-only and content-addressed) on
// runtimeRoot/python/bootstrap.py; nodejs runs node on
// runtimeRoot/node/bootstrap.js with Lambda's flags.
func (r Runtime) Command(taskRoot, runtimeRoot string) (string, []string, error) {
	if r.Family != FamilyPython && r.Family != FamilyNode {
		return r.CommandWith("", taskRoot, runtimeRoot)
	}
	interp, err := Interpreter(r.Family)
	if err != nil {
		return "", nil, err
	}
	return r.CommandWith(interp, taskRoot, runtimeRoot)
}

// CommandWith is Command with the interpreter given, e.g. the one a
// Catalogue resolved.
func (r Runtime) CommandWith(interp, taskRoot, runtimeRoot string) (string, []string, error) {
	switch r.Family {
	case FamilyProvided:
		return filepath.Join(taskRoot, "bootstrap"), nil, nil
	case FamilyPython:
		return interp, []string{"-u", "-B", filepath.Join(runtimeRoot, pythonBootstrap)}, nil
	case FamilyNode:
		return interp, []string{
			"--expose-gc", "--max-http-header-size=81920",
			filepath.Join(runtimeRoot, nodeBootstrap),
		}, nil
	}
	return "", nil, fmt.Errorf("runtime %q family %q: %w", r.Name, r.Family, ErrNoInterpreterFamily)
}
