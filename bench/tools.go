package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// toolbox builds, once per run, everything the scenarios start: the hearth
// binary, the Runtime Interface Emulator, the floor server and the function
// zips. Everything lives under dir, which Close removes.
type toolbox struct {
	root string // the module root
	dir  string

	mu    sync.Mutex // guards built
	built map[string]string
}

func newToolbox() (*toolbox, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return nil, fmt.Errorf("find module: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return nil, fmt.Errorf("run the benchmark inside the Hearth module")
	}
	dir, err := os.MkdirTemp("", "hearth-bench")
	if err != nil {
		return nil, err
	}
	return &toolbox{root: filepath.Dir(gomod), dir: dir, built: map[string]string{}}, nil
}

func (tb *toolbox) Close() { os.RemoveAll(tb.dir) }

// build runs go build for pkg (relative to the module root, or a module
// path) once and returns the binary's path.
func (tb *toolbox) build(name, pkg string, flags ...string) (string, error) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if p, ok := tb.built[name]; ok {
		return p, nil
	}
	bin := filepath.Join(tb.dir, name)
	cmd := exec.Command("go", append(append([]string{"build", "-o", bin}, flags...), pkg)...)
	cmd.Dir = tb.root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
	}
	tb.built[name] = bin
	return bin, nil
}

// hearth is the hearth binary under test: built from this tree, or the one
// $HEARTH_BENCH_BINARY names, so that an older build can be measured the
// same way for a before-and-after comparison.
func (tb *toolbox) hearth() (string, error) {
	if bin := os.Getenv("HEARTH_BENCH_BINARY"); bin != "" {
		return bin, nil
	}
	tb.mu.Lock()
	_, built := tb.built["hearth"]
	tb.mu.Unlock()
	if !built {
		// As make build does: the small sandbox init first, which hearth embeds.
		gen := exec.Command("go", "generate", "./internal/sandbox")
		gen.Dir = tb.root
		if out, err := gen.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go generate ./internal/sandbox: %w\n%s", err, out)
		}
	}
	return tb.build("hearth", "./cmd/hearth")
}

func (tb *toolbox) rie() (string, error) {
	return tb.build("aws-lambda-rie", "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie")
}

func (tb *toolbox) floor() (string, error) { return tb.build("floor", "./bench/testdata/floor") }

// goBootstrap is the aws-lambda-go hello function's binary, built as AWS
// documents for the provided runtimes: static, with the lambda.norpc tag,
// which leaves out the net/rpc entry point only the retired go1.x runtime
// used (and its package initialisation, about 0.5 ms of every cold start).
func (tb *toolbox) goBootstrap() (string, error) {
	return tb.build("bootstrap", "./bench/testdata/gohello", "-tags", "lambda.norpc")
}

// runtimeSpec is one language's hello function.
type runtimeSpec struct {
	Name    string // go, python, node
	Runtime string // Lambda runtime identifier
	Handler string
}

var runtimeSpecs = []runtimeSpec{
	{"go", "provided.al2023", "bootstrap"},
	{"python", "python3.12", "app.handler"},
	{"node", "nodejs20.x", "index.handler"},
}

// zip returns the deployment package of a runtime's hello function.
func (tb *toolbox) zip(rt runtimeSpec) ([]byte, error) {
	files := map[string]string{}
	switch rt.Name {
	case "go":
		bin, err := tb.goBootstrap()
		if err != nil {
			return nil, err
		}
		files["bootstrap"] = bin
	case "python":
		files["app.py"] = filepath.Join(tb.root, "bench/testdata/pyhello/app.py")
	case "node":
		files["index.js"] = filepath.Join(tb.root, "bench/testdata/nodehello/index.js")
	default:
		return nil, fmt.Errorf("unknown runtime %q", rt.Name)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		hdr := &zip.FileHeader{Name: name, Method: zip.Deflate}
		hdr.SetMode(0o755)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// freeAddr returns a loopback address with a port free at this moment.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
