package invoke

import (
	"slices"
	"testing"

	"github.com/hearth-run/hearth/internal/runtimes"
)

// TestLayerEnv checks the variables that lead each runtime to its layers,
// isolated (/opt) and plain (a host directory).
func TestLayerEnv(t *testing.T) {
	cases := []struct {
		runtime, opt string
		want         []string
	}{
		{"nodejs20.x", "/opt", []string{"NODE_PATH=/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task"}},
		{"nodejs22.x", "/h/opt", []string{"NODE_PATH=/h/opt/nodejs/node22/node_modules:/h/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task"}},
		{"python3.12", "/opt", nil},
		{"python3.11", "/h/opt", []string{"PYTHONPATH=/h/opt/python/lib/python3.11/site-packages:/h/opt/python"}},
		{"provided.al2023", "/opt", nil},
	}
	for _, c := range cases {
		rt, ok := runtimes.Lookup(c.runtime)
		if !ok {
			t.Fatalf("unknown runtime %s", c.runtime)
		}
		if got := layerEnv(rt, c.opt, "/var/runtime", "/var/task"); !slices.Equal(got, c.want) {
			t.Errorf("%s at %s: %q, want %q", c.runtime, c.opt, got, c.want)
		}
	}
}
