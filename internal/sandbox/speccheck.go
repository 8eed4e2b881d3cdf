package sandbox

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// check validates spec and fills in the defaults of its optional fields:
// memory, /tmp size, network and output.
func (m *Manager) check(spec *Spec) error {
	if spec.ID == "" || strings.ContainsAny(spec.ID, "/\x00") || spec.ID == "." || spec.ID == ".." {
		return fmt.Errorf("%w: id %q", ErrInvalidSpec, spec.ID)
	}
	if spec.Path == "" {
		return fmt.Errorf("%w: %s: empty path", ErrInvalidSpec, spec.ID)
	}
	if spec.CodeDir == "" && spec.RootFS == "" {
		return fmt.Errorf("%w: %s: empty code dir", ErrInvalidSpec, spec.ID)
	}
	if spec.RootFS != "" && !m.isolated {
		return fmt.Errorf("%w: %s: an image root filesystem needs isolation", ErrUnsupported, spec.ID)
	}
	for _, b := range spec.Binds {
		if !filepath.IsAbs(b) || filepath.Clean(b) != b || b == "/" {
			return fmt.Errorf("%w: %s: bind %q must be a clean absolute path below /", ErrInvalidSpec, spec.ID, b)
		}
	}
	if spec.MemoryMB <= 0 {
		spec.MemoryMB = defaultMemoryMB
	}
	if spec.EphemeralMB <= 0 {
		spec.EphemeralMB = defaultEphemeral
	}
	if spec.Network == "" {
		spec.Network = m.opts.Network
	}
	if spec.Network == "host" {
		spec.Network = "nat"
	}
	switch spec.Network {
	case "nat":
	case "none":
		if !m.isolated {
			return fmt.Errorf("%w: network none needs isolation", ErrUnsupported)
		}
	default:
		return fmt.Errorf("%w: %s: network %q", ErrInvalidSpec, spec.ID, spec.Network)
	}
	if spec.Output == nil {
		spec.Output = io.Discard
	}
	return nil
}

// withRuntimeAPI returns env with AWS_LAMBDA_RUNTIME_API set to addr.
func withRuntimeAPI(env []string, addr string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, runtimeAPIEnvName+"=") {
			out = append(out, kv)
		}
	}
	return append(out, runtimeAPIEnvName+"="+addr)
}
