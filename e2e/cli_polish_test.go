package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestCLIVersion checks `hearth version` and `--version` of a plain
// build; TestRelease checks the stamped commit of a release build.
func TestCLIVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		r := runCLI(t, os.Environ(), arg)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "hearth ") || !strings.Contains(r.stdout, "\ncommit: ") {
			t.Errorf("hearth %s: exit %d, stdout %q", arg, r.code, r.stdout)
		}
	}
	if r := runCLI(t, os.Environ(), "version", "extra"); r.code != 2 {
		t.Errorf("hearth version extra: exit %d, want 2", r.code)
	}
	r := runCLI(t, os.Environ(), "serve", "--help")
	if r.code != 0 || !strings.Contains(r.stderr+r.stdout, "-listen") {
		t.Errorf("serve --help: exit %d, output %q", r.code, r.stderr+r.stdout)
	}
}

// TestCLIPolish walks the client commands' rough edges: usage errors,
// defaults, messages and the commands added for operators.
func TestCLIPolish(t *testing.T) {
	h := startHearth(t, "")
	env := cliEnv(t, h)
	waitFor(t, "serve to log where the metrics and the console are", func() bool {
		return strings.Contains(h.logs(), "metrics=") && strings.Contains(h.logs(), "console=\"http://"+h.addr+"/console/")
	})
	root := t.TempDir()
	mkdir := func(name string) string {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}

	// provided.* needs an executable bootstrap, and then no --handler.
	prov := mkdir("provfn")
	r := runCLI(t, env, "deploy", prov, "--runtime", "provided.al2023")
	if r.code != 1 || !strings.Contains(r.stderr, "needs an executable bootstrap") {
		t.Errorf("deploy without bootstrap: exit %d, stderr %q", r.code, r.stderr)
	}
	if err := os.WriteFile(filepath.Join(prov, "bootstrap"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out := mustCLI(t, env, "deploy", prov, "--runtime", "provided.al2023"); !strings.HasPrefix(out, "created provfn: provided.al2023 bootstrap,") {
		t.Errorf("deploy of provided.al2023 without --handler printed %q", out)
	}

	// A generic directory name is no function name.
	dist := mkdir("dist")
	writeApp(t, dist, 1)
	r = runCLI(t, env, "deploy", dist, "--runtime", "python3.12", "--handler", "app.handler")
	if r.code != 2 || !strings.Contains(r.stderr, "give --name") {
		t.Errorf("deploy of dist/: exit %d, stderr %q", r.code, r.stderr)
	}
	// Creating without a runtime is a usage error.
	if r := runCLI(t, env, "deploy", dist, "--name", "newfn"); r.code != 2 || !strings.Contains(r.stderr, "usage: hearth deploy") {
		t.Errorf("create without runtime: exit %d, stderr %q", r.code, r.stderr)
	}
	mustCLI(t, env, "deploy", dist, "--name", "polished", "--runtime", "python3.12", "--handler", "app.handler", "--env", "AA=1", "--env", "BB=2")
	c := h.client()
	vars := func() map[string]string {
		cfg, err := c.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("polished")})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Environment == nil {
			return nil
		}
		return cfg.Environment.Variables
	}
	if v := vars(); v["AA"] != "1" || v["BB"] != "2" {
		t.Fatalf("variables after deploy: %v", v)
	}
	if out := mustCLI(t, env, "deploy", dist, "--name", "polished", "--env", ""); !strings.HasPrefix(out, "updated polished") {
		t.Errorf("deploy --env '' printed %q", out)
	}
	if v := vars(); len(v) != 0 {
		t.Errorf("variables after --env '': %v", v)
	}

	// ps of an unknown function says so; of a known one without
	// environments prints the header only.
	if r := runCLI(t, env, "ps", "nosuchfn"); r.code != 1 || !strings.Contains(r.stderr, "ResourceNotFoundException") {
		t.Errorf("ps nosuchfn: exit %d, stderr %q", r.code, r.stderr)
	}
	if out := mustCLI(t, env, "ps", "polished"); strings.Count(out, "\n") != 1 {
		t.Errorf("ps of a function without environments printed %q", out)
	}

	// logs -n and --since.
	mustCLI(t, env, "invoke", "polished", `{"x":1}`)
	mustCLI(t, env, "invoke", "polished", `{"x":2}`)
	out := mustCLI(t, env, "logs", "polished", "-n", "1")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], "REPORT RequestId: ") {
		t.Errorf("logs -n 1 printed %q", out)
	}
	if out := mustCLI(t, env, "logs", "polished", "--since", "10m"); !strings.Contains(out, "cli says 1") || !strings.Contains(out, "cli says 2") {
		t.Errorf("logs --since 10m printed %q", out)
	}
	if out := mustCLI(t, env, "logs", "polished", "--since", "1ns"); out != "" {
		t.Errorf("logs --since 1ns printed %q", out)
	}
	if r := runCLI(t, env, "logs", "polished", "-n", "-1"); r.code != 2 {
		t.Errorf("logs -n -1: exit %d", r.code)
	}

	// delete.
	if r := runCLI(t, env, "delete"); r.code != 2 {
		t.Errorf("delete without a function: exit %d", r.code)
	}
	if out := mustCLI(t, env, "delete", "polished"); out != "deleted polished\n" {
		t.Errorf("delete printed %q", out)
	}
	if r := runCLI(t, env, "invoke", "polished"); r.code != 1 || !strings.Contains(r.stderr, "ResourceNotFoundException") {
		t.Errorf("invoke after delete: exit %d, stderr %q", r.code, r.stderr)
	}

	// A Hearth that is not there.
	gone := "http://" + freeAddr(t)
	r = runCLI(t, append(env, "HEARTH_ENDPOINT="+gone), "functions")
	if r.code != 1 || !strings.Contains(r.stderr, "is `hearth serve` running at "+gone+"?") || strings.Contains(r.stderr, "retry") {
		t.Errorf("unreachable: exit %d, stderr %q", r.code, r.stderr)
	}
}
