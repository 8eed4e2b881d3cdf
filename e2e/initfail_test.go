package e2e

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// TestInitFailureTrail: a function whose Init fails gets Lambda's trail in
// its log tail — the runtime's error, INIT_REPORT for the Init and for its
// retry within the invocation, then START, END and REPORT of the request —
// and Hearth logs one line per failed Init.
func TestInitFailureTrail(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	py := func(src string) func(*testing.T) []byte {
		return func(t *testing.T) []byte { return zipFiles(t, map[string][]byte{"app.py": []byte(src)}) }
	}
	sh := func(files map[string][]byte) func(*testing.T) []byte {
		return func(t *testing.T) []byte { return zipFiles(t, files) }
	}
	tests := []struct {
		name     string
		rc       runtimeCase
		errType  string
		errInLog string // what the runtime's (or Hearth's) error line says
	}{
		{"handler-not-found", runtimeCase{"python", "python3.12", "app.nothere", py("def handler(e, c):\n    return 1\n")},
			"Runtime.HandlerNotFound", "Handler 'nothere' missing on module 'app'"},
		{"syntax-error", runtimeCase{"python", "python3.12", "app.handler", py("def handler(e, c)\n    return 1\n")},
			"Runtime.UserCodeSyntaxError", "Syntax error in module 'app'"},
		{"import-error", runtimeCase{"python", "python3.12", "app.handler", py("import no_such_module_here\n")},
			"Runtime.ImportModuleError", "Unable to import module 'app': No module named 'no_such_module_here'"},
		{"node-handler-not-found", runtimeCase{"node", "nodejs20.x", "index.nothere", sh(map[string][]byte{
			"index.js": []byte("exports.handler = async () => 1;\n")})},
			"Runtime.HandlerNotFound", "index.nothere is undefined or not exported"},
		{"missing-bootstrap", runtimeCase{"sh", "provided.al2023", "bootstrap", sh(map[string][]byte{
			"main.sh": []byte("#!/bin/sh\n")})},
			"Runtime.InvalidEntrypoint", "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"},
		{"exit-during-init", runtimeCase{"sh", "provided.al2023", "bootstrap", sh(map[string][]byte{
			"bootstrap*": []byte("#!/bin/sh\necho 'init is failing now'\nexit 3\n")})},
			"Runtime.ExitError", "init is failing now"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			createFunction(t, c, tt.name, tt.rc)
			r := invoke(t, c, tt.name, map[string]any{})
			var fe struct{ ErrorType string }
			json.Unmarshal(r.Raw, &fe)
			if r.FunctionError != "Unhandled" || fe.ErrorType != tt.errType {
				t.Fatalf("answer = %q %s, want %s", r.FunctionError, r.Raw, tt.errType)
			}
			checkInitTrail(t, r.Log, tt.errType, tt.errInLog)
			want := regexp.MustCompile(`init failed.*function=` + tt.name + ` version=\$LATEST error_type=` +
				regexp.QuoteMeta(tt.errType) + ` phase=init`)
			waitFor(t, "hearth's init failure line", func() bool { return want.MatchString(h.logs()) })
		})
	}
}

// checkInitTrail checks the order of a failed Init's lines in a tail.
func checkInitTrail(t *testing.T, log, errType, errLine string) {
	t.Helper()
	order := []string{
		errLine,
		"INIT_REPORT Init Duration: ",
		"\tPhase: init\tStatus: error\tError Type: " + errType + "\n",
		errLine,
		"\tPhase: invoke\tStatus: error\tError Type: " + errType + "\n",
		"START RequestId: ",
		"END RequestId: ",
		"REPORT RequestId: ",
		"\tStatus: error\tError Type: " + errType + "\n",
	}
	rest := log
	for _, want := range order {
		i := strings.Index(rest, want)
		if i < 0 {
			t.Fatalf("tail lacks %q (in order):\n%s", want, log)
		}
		rest = rest[i+len(want):]
	}
}
