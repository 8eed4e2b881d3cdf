package invoke

import (
	"strings"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/runtimes"
	"github.com/hearth-run/hearth/internal/sandbox"
)

// Pre-started interpreters (sandbox.Prestart) serve the python3.x and
// nodejs*.x functions whose start-up is the runtime's own: Hearth's
// bootstrap on the host's (or the runtime dir's) interpreter, without
// external extensions, and without a variable of the function's that the
// interpreter, the dynamic loader or the C library reads while it starts.
// Those functions start the ordinary way, so their variables are honoured.

// startupVars are the names of variables read while an interpreter starts;
// startupPrefixes are the prefixes of such names.
var (
	startupVars = map[string]bool{
		"AWS_LAMBDA_EXEC_WRAPPER": true, // a wrapper script runs instead of the interpreter
		"PATH":                    true, // which interpreter, sys.executable
		"LANG":                    true, // locale: encodings, ICU's default locale
		"LANGUAGE":                true,
		"HOME":                    true, // Python's user site-packages
		"GLIBC_TUNABLES":          true, // read by the C library at exec
		"OPENSSL_CONF":            true, // loaded by node at start
	}
	startupPrefixes = []string{
		"PYTHON", // PYTHONPATH, PYTHONSTARTUP, PYTHONHOME, PYTHONUTF8, PYTHONWARNINGS…
		"NODE_",  // NODE_OPTIONS, NODE_PATH, NODE_EXTRA_CA_CERTS, NODE_ICU_DATA…
		"LD_",    // LD_PRELOAD, LD_LIBRARY_PATH
		"LC_",    // locale categories
		"MALLOC_",
		"UV_", // libuv: UV_THREADPOOL_SIZE, UV_USE_IO_URING
	}
	// baseVars are Hearth's own variables that a pre-started interpreter
	// starts with; every function of a runtime gets the same values.
	baseVars = []string{"PATH", "LD_LIBRARY_PATH", "LANG", "TZ", "NODE_PATH", "PYTHONPATH",
		"AWS_EXECUTION_ENV", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"}
)

// StartupVariable reports whether a function variable named name makes
// its environments start the ordinary way.
func StartupVariable(name string) bool {
	if startupVars[name] {
		return true
	}
	for _, p := range startupPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// prestartOf returns the Prestart of a function's sandbox spec, or nil
// when its environments must start the ordinary way. env is the spec's
// environment before the function's own variables.
func prestartOf(rt runtimes.Runtime, c *function.Config, rc runtimeCommand, sb *sandbox.Spec, env []string) *sandbox.Prestart {
	if (rt.Family != runtimes.FamilyPython && rt.Family != runtimes.FamilyNode) ||
		rc.rootFS != "" || rc.ownBootstrap || sb.Path != rc.path || sb.RuntimeDir == "" {
		return nil
	}
	for k := range c.Environment {
		if StartupVariable(k) {
			return nil
		}
	}
	var base []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		for _, b := range baseVars {
			if name == b {
				base = append(base, kv)
			}
		}
	}
	return &sandbox.Prestart{Env: base, Runtime: c.Runtime}
}
