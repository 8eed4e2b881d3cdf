package e2e

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hearth-run/hearth/internal/testenv"
)

// prestartProbe is one runtime's probe function for pre-started
// interpreters: it reports its environment, working directory, code, uid,
// time zone and the functions whose modules this interpreter has loaded.
type prestartProbe struct {
	rc       runtimeCase
	interp   string            // part of the interpreter's path in Hearth's log
	files    map[string]string // the probe
	errType  string            // the errorType of {"action":"error"}
	optVar   string            // a start-up variable that forces the ordinary path…
	optValue string
	optFiles map[string]string // …and the files it refers to
	initFail map[string]string // a module that fails to import…
	initErr  string            // …and what the runtime logs about it
}

var probeVars = `["MY_VAR","AWS_LAMBDA_FUNCTION_NAME","AWS_LAMBDA_FUNCTION_MEMORY_SIZE","AWS_LAMBDA_RUNTIME_API",` +
	`"_HEARTH_PRESTART","LAMBDA_TASK_ROOT","_HANDLER","AWS_LAMBDA_LOG_STREAM_NAME"]`

var prestartProbes = []prestartProbe{{
	rc: runtimeCase{name: "python", runtime: "python3.12", handler: "app.handler"}, interp: "python",
	files: map[string]string{"app.py": `import builtins, os, time
builtins.__dict__.setdefault("_hearth_seen", []).append(os.environ["AWS_LAMBDA_FUNCTION_NAME"])

def handler(event, context):
    if event.get("action") == "error":
        raise ValueError("probe error")
    try:
        import extramod
        extra = extramod.VALUE
    except ImportError:
        extra = None
    return {"env": {k: os.environ.get(k) for k in ` + probeVars + `}, "cwd": os.getcwd(),
            "task": sorted(os.listdir("/var/task")), "uid": os.getuid(), "gmtoff": time.localtime().tm_gmtoff,
            "seen": builtins._hearth_seen, "extra": extra}
`},
	errType: "ValueError",
	optVar:  "PYTHONPATH", optValue: "/var/task/lib",
	optFiles: map[string]string{"lib/extramod.py": "VALUE = 'from PYTHONPATH'\n"},
	initFail: map[string]string{"app.py": "print('prestarted:', '_HEARTH_PRESTART=1' in open('/proc/self/environ').read())\n" +
		"import no_such_module_here\n"},
	initErr: "Unable to import module 'app': No module named 'no_such_module_here'",
}, {
	rc: runtimeCase{name: "node", runtime: "nodejs20.x", handler: "index.handler"}, interp: "node",
	files: map[string]string{"index.js": `(globalThis.__hearthSeen ||= []).push(process.env.AWS_LAMBDA_FUNCTION_NAME);
exports.handler = async (event) => {
  if (event.action === 'error') throw new TypeError('probe error');
  const env = {};
  for (const k of ` + probeVars + `) env[k] = process.env[k] ?? null;
  return { env, cwd: process.cwd(), task: require('fs').readdirSync('/var/task').sort(), uid: process.getuid(),
    gmtoff: -new Date().getTimezoneOffset() * 60, seen: globalThis.__hearthSeen, extra: globalThis.__preloaded ?? null };
};
`},
	errType: "TypeError",
	optVar:  "NODE_OPTIONS", optValue: "--require /var/task/pre.js",
	optFiles: map[string]string{"pre.js": "globalThis.__preloaded = 'from NODE_OPTIONS';\n"},
	initFail: map[string]string{"index.js": "console.log('prestarted:', require('fs').readFileSync('/proc/self/environ', 'latin1').includes('_HEARTH_PRESTART=1'));\n" +
		"require('no-such-module-here');\n"},
	initErr: "Cannot find module 'no-such-module-here'",
}}

// TestPrestartedInterpreters: a Python or Node function started from a
// pre-started interpreter behaves as an ordinary start — its variables,
// working directory, /var/task, uid, memory limit, time zone, handler
// errors, a failed Init with its INIT_REPORT trail — two functions never
// share an interpreter, and a function with a start-up variable
// (PYTHONPATH, NODE_OPTIONS) starts the ordinary way and sees it honoured.
func TestPrestartedInterpreters(t *testing.T) {
	testenv.NeedRoot(t, "pre-started interpreters live in isolated sandboxes")
	testenv.NeedCommand(t, "python3")
	testenv.NeedCommand(t, "node")
	h := startHearth(t, "", "--log-level", "debug")
	c := h.client()
	for _, pp := range prestartProbes {
		t.Run(pp.rc.name, func(t *testing.T) { testPrestarted(t, h, c, pp) })
	}
}

func testPrestarted(t *testing.T, h *hearth, c *lambda.Client, pp prestartProbe) {
	probe := pp.rc
	probe.zip = func(t *testing.T) []byte { return zipStrings(t, pp.files) }
	name := func(s string) string { return "pre-" + pp.rc.name + "-" + s }
	ready := 0
	// waitReady waits for one more pre-started interpreter of the runtime.
	waitReady := func() {
		ready++
		re := regexp.MustCompile(`msg="sandbox: interpreter pre-started" path=\S*` + pp.interp)
		waitFor(t, "a pre-started "+pp.interp, func() bool { return len(re.FindAllString(h.logs(), -1)) >= ready })
	}

	// Creating a function starts an interpreter of its runtime ahead, so
	// that even the runtime's first cold start finds one; from then on
	// Hearth keeps one started ahead.
	createFunction(t, c, name("first"), probe)
	waitReady()
	first := invoke(t, c, name("first"), map[string]any{})
	checkProbe(t, first, name("first"), "")
	if !strings.Contains(coldLine(t, h, name("first")), "prestarted=true") {
		t.Errorf("the first cold start after CreateFunction did not use the interpreter started for it:\n%s", coldLine(t, h, name("first")))
	}

	waitReady()
	createFunction(t, c, name("a"), probe, withEnv(map[string]string{"MY_VAR": "a", "TZ": "Asia/Seoul"}), withMemory(256))
	a := invoke(t, c, name("a"), map[string]any{})
	if !strings.Contains(coldLine(t, h, name("a")), "prestarted=true") {
		t.Fatalf("no pre-started interpreter served %s:\n%s", name("a"), h.logs())
	}
	checkProbe(t, a, name("a"), "a")
	if a.Payload["env"].(map[string]any)["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] != "256" {
		t.Errorf("memory size variable %v", a.Payload["env"])
	}
	if off, _ := a.Payload["gmtoff"].(float64); off != 9*3600 {
		t.Errorf("TZ=Asia/Seoul not honoured: offset %v s", a.Payload["gmtoff"])
	}
	envA := h.environments(t, name("a"))
	if len(envA) != 1 {
		t.Fatalf("environments of %s: %+v", name("a"), envA)
	}
	if limit := memoryLimit(t, envA[0].Pid); limit != 256<<20 {
		t.Errorf("memory limit of the pre-started environment = %d, want %d", limit, 256<<20)
	}
	r := invoke(t, c, name("a"), map[string]any{"action": "error"})
	if r.FunctionError != "Unhandled" || r.Payload["errorType"] != pp.errType || r.Payload["errorMessage"] != "probe error" ||
		hasInitDuration(r.Log) {
		t.Errorf("handler error: %q %s\n%s", r.FunctionError, r.Raw, r.Log)
	}

	// Another function gets another interpreter, never a's.
	waitReady()
	createFunction(t, c, name("b"), probe, withEnv(map[string]string{"MY_VAR": "b"}))
	b := invoke(t, c, name("b"), map[string]any{})
	if !strings.Contains(coldLine(t, h, name("b")), "prestarted=true") {
		t.Fatalf("no pre-started interpreter served %s", name("b"))
	}
	checkProbe(t, b, name("b"), "b")
	if envB := h.environments(t, name("b")); len(envB) != 1 || envB[0].Pid == envA[0].Pid {
		t.Errorf("environments of a %+v and b %+v", envA, envB)
	}
	if a.Payload["uid"] == b.Payload["uid"] {
		t.Errorf("a and b run as the same uid %v", a.Payload["uid"])
	}

	// A failed Init leaves Lambda's trail, as in an ordinary start.
	waitReady()
	fail := pp.rc
	fail.zip = func(t *testing.T) []byte { return zipStrings(t, pp.initFail) }
	createFunction(t, c, name("initfail"), fail)
	r = invoke(t, c, name("initfail"), map[string]any{})
	if !strings.Contains(r.Log, "prestarted: "+map[string]string{"python": "True", "node": "true"}[pp.rc.name]) {
		t.Errorf("the failing Init did not run in a pre-started interpreter:\n%s", r.Log)
	}
	checkInitTrail(t, r.Log, "Runtime.ImportModuleError", pp.initErr)

	// A start-up variable takes the ordinary path, and is honoured.
	waitReady()
	opt := probe
	opt.zip = func(t *testing.T) []byte {
		files := map[string]string{}
		for k, v := range pp.files {
			files[k] = v
		}
		for k, v := range pp.optFiles {
			files[k] = v
		}
		return zipStrings(t, files)
	}
	createFunction(t, c, name("opt"), opt, withEnv(map[string]string{pp.optVar: pp.optValue}))
	r = invoke(t, c, name("opt"), map[string]any{})
	if !strings.Contains(coldLine(t, h, name("opt")), "prestarted=false") {
		t.Errorf("%s=%s did not take the ordinary path", pp.optVar, pp.optValue)
	}
	if want := "from " + pp.optVar; r.Payload["extra"] != want {
		t.Errorf("%s not honoured: extra = %v, want %q (%s)", pp.optVar, r.Payload["extra"], want, r.Raw)
	}
}

// checkProbe checks what a probe function saw of its environment.
func checkProbe(t *testing.T, r invokeResult, fn, myVar string) {
	t.Helper()
	if r.FunctionError != "" {
		t.Fatalf("%s: %s %s\n%s", fn, r.FunctionError, r.Raw, r.Log)
	}
	env, _ := r.Payload["env"].(map[string]any)
	want := map[string]any{"AWS_LAMBDA_FUNCTION_NAME": fn, "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
		"_HEARTH_PRESTART": nil, "LAMBDA_TASK_ROOT": "/var/task"}
	if myVar != "" {
		want["MY_VAR"] = myVar
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s: %s = %v, want %v", fn, k, env[k], v)
		}
	}
	if s, _ := env["AWS_LAMBDA_LOG_STREAM_NAME"].(string); !strings.Contains(s, "[$LATEST]") {
		t.Errorf("%s: log stream variable %q", fn, s)
	}
	if r.Payload["cwd"] != "/var/task" {
		t.Errorf("%s: cwd %v", fn, r.Payload["cwd"])
	}
	if task := fmt.Sprint(r.Payload["task"]); task != "[app.py]" && task != "[index.js]" {
		t.Errorf("%s: /var/task holds %s", fn, task)
	}
	if uid, _ := r.Payload["uid"].(float64); uid == 0 {
		t.Errorf("%s: runs as root", fn)
	}
	if seen := fmt.Sprint(r.Payload["seen"]); seen != "["+fn+"]" {
		t.Errorf("%s: the interpreter loaded the modules of %s", fn, seen)
	}
	if !hasInitDuration(r.Log) {
		t.Errorf("%s: no Init Duration:\n%s", fn, r.Log)
	}
}

// coldLine returns Hearth's "cold start" log line of a function.
func coldLine(t *testing.T, h *hearth, fn string) string {
	t.Helper()
	re := regexp.MustCompile(`msg="cold start" function=` + regexp.QuoteMeta(fn) + ` .*`)
	line := ""
	waitFor(t, "the cold start line of "+fn, func() bool { line = re.FindString(h.logs()); return line != "" })
	return line
}

// memoryLimit reads the memory limit of the cgroup of a host pid.
func memoryLimit(t *testing.T, pid int) int64 {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		file := ""
		switch {
		case parts[1] == "memory":
			file = "/sys/fs/cgroup/memory" + parts[2] + "/memory.limit_in_bytes"
		case parts[0] == "0" && parts[1] == "":
			file = "/sys/fs/cgroup" + parts[2] + "/memory.max"
		default:
			continue
		}
		v, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		return int64(atoi(strings.TrimSpace(string(v))))
	}
	t.Fatalf("no memory cgroup for pid %d:\n%s", pid, raw)
	return 0
}

func zipStrings(t *testing.T, files map[string]string) []byte {
	b := map[string][]byte{}
	for k, v := range files {
		b[k] = []byte(v)
	}
	return zipFiles(t, b)
}

func withEnv(vars map[string]string) func(*lambda.CreateFunctionInput) {
	return func(in *lambda.CreateFunctionInput) { in.Environment = &types.Environment{Variables: vars} }
}

func withMemory(mb int32) func(*lambda.CreateFunctionInput) {
	return func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(mb) }
}
