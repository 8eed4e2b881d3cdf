package invoke

import (
	"testing"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/runtimes"
	"github.com/hearth-run/hearth/internal/sandbox"
)

func TestPrestartOf(t *testing.T) {
	py, _ := runtimes.Lookup("python3.12")
	node, _ := runtimes.Lookup("nodejs20.x")
	prov, _ := runtimes.Lookup("provided.al2023")
	rc := runtimeCommand{path: "/usr/bin/python3.12"}
	sb := sandbox.Spec{Path: "/usr/bin/python3.12", RuntimeDir: "/rt"}
	hearthEnv := []string{"PATH=/var/lang/bin:/usr/bin", "TZ=:UTC", "_HANDLER=app.handler", "LAMBDA_TASK_ROOT=/var/task",
		"AWS_LAMBDA_FUNCTION_NAME=f", "NODE_PATH=/opt/nodejs/node_modules"}
	cases := []struct {
		name string
		rt   runtimes.Runtime
		vars map[string]string
		rc   runtimeCommand
		sb   sandbox.Spec
		want bool
	}{
		{"python", py, nil, rc, sb, true},
		{"node", node, nil, rc, sb, true},
		{"provided", prov, nil, rc, sb, false},
		{"user variables", py, map[string]string{"MY_VAR": "1", "TZ": "Asia/Seoul", "NODEJS": "x"}, rc, sb, true},
		{"PYTHONPATH", py, map[string]string{"PYTHONPATH": "/var/task/lib"}, rc, sb, false},
		{"PYTHONSTARTUP", py, map[string]string{"PYTHONSTARTUP": "x"}, rc, sb, false},
		{"NODE_OPTIONS", node, map[string]string{"NODE_OPTIONS": "--require x"}, rc, sb, false},
		{"exec wrapper", node, map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/w"}, rc, sb, false},
		{"LD_PRELOAD", py, map[string]string{"LD_PRELOAD": "x.so"}, rc, sb, false},
		{"LC_ALL", py, map[string]string{"LC_ALL": "C"}, rc, sb, false},
		{"PATH", py, map[string]string{"PATH": "/x"}, rc, sb, false},
		{"extensions wrapper", py, nil, rc, sandbox.Spec{Path: "/rt/extensions-wrapper", RuntimeDir: "/rt"}, false},
		{"runtime image", py, nil, runtimeCommand{path: rc.path, rootFS: "/img"}, sb, false},
		{"image's own client", py, nil, runtimeCommand{path: rc.path, ownBootstrap: true}, sb, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &function.Config{Environment: tc.vars}
			sb := tc.sb
			got := prestartOf(tc.rt, c, tc.rc, &sb, hearthEnv)
			if (got != nil) != tc.want {
				t.Fatalf("prestartOf = %v, want prestart %v", got, tc.want)
			}
			if got == nil {
				return
			}
			want := "[PATH=/var/lang/bin:/usr/bin TZ=:UTC LAMBDA_TASK_ROOT=/var/task NODE_PATH=/opt/nodejs/node_modules]"
			if s := fmtList(got.Env); s != want {
				t.Errorf("start-up environment %s, want %s", s, want)
			}
		})
	}
}

func fmtList(l []string) string {
	s := "["
	for i, x := range l {
		if i > 0 {
			s += " "
		}
		s += x
	}
	return s + "]"
}
