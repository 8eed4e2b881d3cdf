package e2e

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// tarLayer is an image layer of files (path -> content; a path ending in
// "*" is executable, the star dropped).
func tarLayer(t *testing.T, files map[string][]byte) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for p, b := range files {
		mode := int64(0o644)
		if strings.HasSuffix(p, "*") {
			p, mode = strings.TrimSuffix(p, "*"), 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: mode, Size: int64(len(b))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// goBootstrap is the aws-lambda-go test function's static binary.
func goBootstrap(t *testing.T) []byte {
	t.Helper()
	z := goFunctionZip(t)
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runtimeImage is a runtime image with a random marker file at
// /hearth-marker and the aws-lambda-go test function as its
// /var/runtime/bootstrap, in two layers.
func runtimeImage(t *testing.T) (v1.Image, string) {
	t.Helper()
	var r [16]byte
	rand.Read(r[:])
	marker := "marker " + hex.EncodeToString(r[:])
	img, err := mutate.AppendLayers(empty.Image,
		tarLayer(t, map[string][]byte{"var/runtime/bootstrap*": goBootstrap(t)}),
		tarLayer(t, map[string][]byte{"hearth-marker": []byte(marker)}))
	if err != nil {
		t.Fatal(err)
	}
	return img, marker
}

func hearthCmd(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(hearthBin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("hearth %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestRuntimeImage: a runtime image imported from an OCI layout and one
// pulled from a registry on loopback become the root filesystems of
// provided.* functions: a function reads the image's marker file and not
// the host's files, and a function without a bootstrap of its own runs
// the image's /var/runtime/bootstrap.
func TestRuntimeImage(t *testing.T) {
	requireRoot(t)
	dataDir := t.TempDir()
	img, marker := runtimeImage(t)
	dir := filepath.Join(t.TempDir(), "layout")
	if _, err := layout.Write(dir, empty.Index); err != nil {
		t.Fatal(err)
	}
	lp, _ := layout.FromPath(dir)
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	out := hearthCmd(t, "runtimes", "import", "provided.al2023", dir, "--data-dir", dataDir)
	digest, _ := img.Digest()
	if !strings.Contains(out, digest.String()) {
		t.Errorf("import said %q, want the digest %s", out, digest)
	}

	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	img2, marker2 := runtimeImage(t)
	ref := strings.TrimPrefix(reg.URL, "http://") + "/runtimes/provided:al2"
	tag, _ := name.NewTag(ref, name.Insecure)
	if err := remote.Write(tag, img2); err != nil {
		t.Fatal(err)
	}
	hearthCmd(t, "runtimes", "pull", "provided.al2", ref, "--data-dir", dataDir)
	// A managed runtime's image with its own runtime client, as Lambda's
	// base images have: the image's /var/runtime/bootstrap runs the function.
	hearthCmd(t, "runtimes", "import", "python3.13", dir, "--data-dir", dataDir)
	if out := hearthCmd(t, "runtimes", "--data-dir", dataDir); !strings.Contains(out, "provided.al2023  exact     "+digest.String()[:19]) {
		t.Errorf("hearth runtimes does not list the image:\n%s", out)
	}

	h := startHearth(t, dataDir)
	c := h.client()
	createFunction(t, c, "own-bootstrap", runtimeCases[0]) // gofn's own /var/task/bootstrap
	createFunction(t, c, "image-bootstrap", runtimeCase{"data", "provided.al2023", "bootstrap", func(t *testing.T) []byte {
		return zipFiles(t, map[string][]byte{"data.txt": []byte("code without a bootstrap")})
	}})
	createFunction(t, c, "pulled", runtimeCase{"data", "provided.al2", "bootstrap", func(t *testing.T) []byte {
		return zipFiles(t, map[string][]byte{"data.txt": []byte("pulled")})
	}})
	createFunction(t, c, "managed", runtimeCase{"python", "python3.13", "app.handler", pythonZip})
	if r := invoke(t, c, "managed", map[string]any{"action": "env"}); r.FunctionError != "" ||
		fmt.Sprint(r.Payload["env"]) == "" || !strings.Contains(fmt.Sprint(r.Payload["env"]), "AWS_EXECUTION_ENV:AWS_Lambda_python3.13") {
		t.Errorf("python3.13 on its runtime image: %s", r.Raw)
	}
	for fn, want := range map[string]string{"own-bootstrap": marker, "image-bootstrap": marker, "pulled": marker2, "managed": marker} {
		r := invoke(t, c, fn, map[string]any{"action": "read", "path": "/hearth-marker"})
		if r.FunctionError != "" || r.Payload["readText"] != want {
			t.Errorf("%s: read /hearth-marker: %s, want %q", fn, r.Raw, want)
		}
		host := invoke(t, c, fn, map[string]any{"action": "read", "path": "/etc/os-release"})
		if _, err := os.Stat("/etc/os-release"); err == nil && host.Payload["readErr"] == "<nil>" {
			t.Errorf("%s: the host's /etc/os-release is visible in the image root: %s", fn, host.Raw)
		}
	}
	if r := invoke(t, c, "image-bootstrap", map[string]any{"action": "read", "path": "/var/task/data.txt"}); r.Payload["readText"] != "code without a bootstrap" {
		t.Errorf("image-bootstrap: /var/task: %s", r.Raw)
	}
	if r := invoke(t, c, "own-bootstrap", map[string]any{"action": "write", "path": "/hearth-marker"}); r.Payload["writeErr"] == "<nil>" {
		t.Errorf("the image root is writable: %s", r.Raw)
	}
}

// goarch is the host's architecture as images name it.
func goarch() string { return runtime.GOARCH }
