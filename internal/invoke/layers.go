package invoke

import (
	"fmt"
	"os"
	"strings"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/runtimes"
)

// optTree returns the host directory with the configuration's layers
// merged in order (empty without layers) and the path under which the
// bootstrap sees it: /opt in an isolated environment, the directory itself
// in a plain one.
func (iv *Invoker) optTree(c *function.Config) (dir, root string, err error) {
	shas := make([]string, len(c.Layers))
	for i, l := range c.Layers {
		shas[i] = l.CodeSHA256
	}
	dir, err = iv.opts.Code.Merged(shas)
	if err != nil {
		return "", "", fmt.Errorf("layers of %s: %w", c.Name, err)
	}
	return dir, iv.opts.Sandbox.OptView(dir), nil
}

// mountedOpt is the directory the sandbox mounts at /opt: none without
// layers (the sandbox then leaves /opt empty, saving a mount per start).
func mountedOpt(c *function.Config, dir string) string {
	if len(c.Layers) == 0 {
		return ""
	}
	return dir
}

// layerEnv returns the variables through which a runtime finds what the
// layers put at optRoot, with Lambda's values: Node's NODE_PATH; for
// Python, whose bootstrap adds /opt/python and its site-packages itself,
// PYTHONPATH only when the layers are not at /opt (plain environments).
func layerEnv(rt runtimes.Runtime, optRoot, runtimeRoot, taskRoot string) []string {
	switch rt.Family {
	case runtimes.FamilyNode:
		major := strings.TrimSuffix(strings.TrimPrefix(rt.Name, "nodejs"), ".x")
		return []string{"NODE_PATH=" + strings.Join([]string{
			optRoot + "/nodejs/node" + major + "/node_modules", optRoot + "/nodejs/node_modules",
			runtimeRoot + "/node_modules", runtimeRoot, taskRoot}, ":")}
	case runtimes.FamilyPython:
		if optRoot == "/opt" {
			return nil
		}
		version := strings.TrimPrefix(rt.Name, "python")
		return []string{"PYTHONPATH=" + optRoot + "/python/lib/python" + version + "/site-packages:" + optRoot + "/python"}
	}
	return nil
}

// executable reports whether path is an executable regular file.
func executable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}
