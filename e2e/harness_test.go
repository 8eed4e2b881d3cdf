package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// hearthBin is the hearth binary built once for the package.
var hearthBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hearth-e2e-bin")
	if err != nil {
		panic(err)
	}
	hearthBin = filepath.Join(dir, "hearth")
	// HEARTH_E2E_BUILDFLAGS adds go build flags for the server under test,
	// e.g. "-race" to run the end-to-end tests against a race-enabled Hearth.
	// As make build does: the small sandbox init first, which hearth embeds.
	gen := exec.Command("go", "generate", "../internal/sandbox")
	gen.Stdout, gen.Stderr = os.Stderr, os.Stderr
	if err := gen.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the sandbox init:", err)
		os.Exit(1)
	}
	args := append([]string{"build", "-o", hearthBin}, strings.Fields(os.Getenv("HEARTH_E2E_BUILDFLAGS"))...)
	build := exec.Command("go", append(args, "../cmd/hearth")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build hearth:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	testKeyID  = "AKIAHEARTHTESTKEY001"
	testSecret = "hearth-test-secret-key-0000000000000000"
)

// hearth is one running hearth process.
type hearth struct {
	t       *testing.T
	dataDir string
	addr    string
	args    []string
	cmd     *exec.Cmd
	out     lockedBuffer // hearth's stdout and stderr
	done    chan struct{}
	// prepare, when set, adjusts the command before each start.
	prepare func(*exec.Cmd)
}

// startHearth runs hearth serve on a free port and a new data dir (or
// dataDir, when given), and waits until it answers.
func startHearth(t *testing.T, dataDir string, extra ...string) *hearth {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	h := &hearth{t: t, dataDir: dataDir, addr: freeAddr(t), args: extra}
	h.start()
	t.Cleanup(h.stop)
	return h
}

func (h *hearth) start() {
	t := h.t
	t.Helper()
	args := append([]string{"serve", "--listen", h.addr, "--data-dir", h.dataDir}, h.args...)
	cmd := exec.Command(hearthBin, args...)
	cmd.Env = append(os.Environ(), "HEARTH_ACCESS_KEY_ID="+testKeyID, "HEARTH_SECRET_ACCESS_KEY="+testSecret)
	if h.prepare != nil {
		h.prepare(cmd)
	}
	cmd.Stdout, cmd.Stderr = &h.out, &h.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h.cmd = cmd
	h.done = make(chan struct{})
	go func() { cmd.Wait(); close(h.done) }() // owned by h: ends with the process
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", h.addr); err == nil {
			c.Close()
			return
		}
		select {
		case <-h.done:
			t.Fatalf("hearth exited at start:\n%s", h.logs())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("hearth did not listen on %s:\n%s", h.addr, h.logs())
}

func (h *hearth) logs() string {
	return h.out.String()
}

// stop ends hearth with SIGTERM and waits for it.
func (h *hearth) stop() {
	if h.cmd == nil || h.cmd.Process == nil {
		return
	}
	select {
	case <-h.done:
		// Ended before the test did: killed by the test, or on its own.
		if h.t.Failed() {
			h.t.Logf("hearth log (%s):\n%s", h.cmd.ProcessState, h.logs())
		}
		return
	default:
	}
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(20 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.done
		h.t.Errorf("hearth did not stop on SIGTERM:\n%s", h.logs())
	}
	if strings.Contains(h.logs(), "WARNING: DATA RACE") {
		h.t.Errorf("the race detector reported a data race in hearth")
	}
	if h.t.Failed() {
		h.t.Logf("hearth log:\n%s", h.logs())
	}
}

// kill9 ends hearth with SIGKILL.
func (h *hearth) kill9() {
	_ = h.cmd.Process.Signal(syscall.SIGKILL)
	<-h.done
}

// restart starts hearth again on the same data dir and port.
func (h *hearth) restart() { h.start() }

func (h *hearth) endpoint() string { return "http://" + h.addr }

// client returns an aws-sdk-go-v2 Lambda client for this hearth.
func (h *hearth) client() *lambda.Client {
	return lambda.New(lambda.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(h.endpoint()),
		Credentials:      credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
		HTTPClient:       &http.Client{Timeout: 60 * time.Second},
		RetryMaxAttempts: 1,
	})
}

// awsEnv is the environment for the AWS CLI and boto3 against h.
func (h *hearth) awsEnv() []string {
	return append(os.Environ(), "AWS_ACCESS_KEY_ID="+testKeyID, "AWS_SECRET_ACCESS_KEY="+testSecret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
		"HEARTH_ENDPOINT="+h.endpoint())
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// zipFiles builds a zip from name -> content; names ending in "*" are
// stored executable (the star is dropped).
func zipFiles(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, "*") {
			name, mode = strings.TrimSuffix(name, "*"), 0o755
		}
		hdr := &zip.FileHeader{Name: name, Method: zip.Deflate}
		hdr.SetMode(mode)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var (
	goZipOnce sync.Once
	goZip     []byte
	goZipErr  error
)

// goFunctionZip builds testdata/gofn with aws-lambda-go into a zip with its
// bootstrap, once per test binary.
func goFunctionZip(t *testing.T) []byte {
	t.Helper()
	goZipOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hearth-gofn")
		if err != nil {
			goZipErr = err
			return
		}
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "bootstrap")
		cmd := exec.Command("go", "build", "-o", bin, "./testdata/gofn")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			goZipErr = fmt.Errorf("build gofn: %v\n%s", err, out)
			return
		}
		b, err := os.ReadFile(bin)
		if err != nil {
			goZipErr = err
			return
		}
		goZip = zipFiles(t, map[string][]byte{"bootstrap*": b})
	})
	if goZipErr != nil {
		t.Fatal(goZipErr)
	}
	return goZip
}

func readTestdata(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pythonZip(t *testing.T) []byte {
	return zipFiles(t, map[string][]byte{"app.py": readTestdata(t, "pyfn/app.py")})
}

func nodeZip(t *testing.T) []byte {
	return zipFiles(t, map[string][]byte{"index.js": readTestdata(t, "nodefn/index.js")})
}

// runtimeCase is one language's test function.
type runtimeCase struct {
	name, runtime, handler string
	zip                    func(*testing.T) []byte
}

var runtimeCases = []runtimeCase{
	{"go", "provided.al2023", "bootstrap", goFunctionZip},
	{"python", "python3.12", "app.handler", pythonZip},
	{"node", "nodejs20.x", "index.handler", nodeZip},
}

// createFunction creates a function and fails the test on error.
func createFunction(t *testing.T, c *lambda.Client, name string, rc runtimeCase, mutate ...func(*lambda.CreateFunctionInput)) *lambda.CreateFunctionOutput {
	t.Helper()
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      types.Runtime(rc.runtime),
		Handler:      aws.String(rc.handler),
		Role:         aws.String("arn:aws:iam::000000000000:role/hearth-test"),
		Code:         &types.FunctionCode{ZipFile: rc.zip(t)},
		Timeout:      aws.Int32(10),
	}
	for _, m := range mutate {
		m(in)
	}
	out, err := c.CreateFunction(context.Background(), in)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return out
}

// invokeResult is one invocation's outcome as the client saw it.
type invokeResult struct {
	Payload       map[string]any
	Raw           []byte
	FunctionError string
	Log           string
	Version       string
}

// invoke calls Invoke with LogType Tail and decodes the answer.
func invoke(t *testing.T, c *lambda.Client, name string, event any, qualifier ...string) invokeResult {
	t.Helper()
	payload, _ := json.Marshal(event)
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: payload, LogType: types.LogTypeTail}
	if len(qualifier) > 0 {
		in.Qualifier = aws.String(qualifier[0])
	}
	out, err := c.Invoke(context.Background(), in)
	if err != nil {
		t.Fatalf("invoke %s: %v", name, err)
	}
	r := invokeResult{Raw: out.Payload, FunctionError: aws.ToString(out.FunctionError), Version: aws.ToString(out.ExecutedVersion)}
	if out.LogResult != nil {
		r.Log = decodeB64(t, *out.LogResult)
	}
	_ = json.Unmarshal(out.Payload, &r.Payload)
	return r
}

// initDuration reports whether a REPORT line carries an Init Duration.
func hasInitDuration(log string) bool { return strings.Contains(log, "Init Duration: ") }
