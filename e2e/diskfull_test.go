package e2e

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/hearth-run/hearth/internal/testenv"
)

// fillDisk writes a file in dir until the file system is full and returns
// its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for range 1 << 14 { // at most 1 GiB, far beyond the tmpfs
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
	t.Fatal("the disk never filled")
	return ""
}

// cleanFailure checks err is nil or Lambda's ServiceException whose
// message names no host path.
func cleanFailure(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ServiceException" || strings.Contains(ae.ErrorMessage(), "/") {
		t.Fatalf("%s on a full disk: %v", what, err)
	}
}

// TestDiskFull runs Hearth on a 20 MB tmpfs and fills it: creating a
// function fails with ServiceException, so does starting an environment;
// a warm function still answers; async invocations are accepted or
// refused cleanly; the function output that cannot be written is counted
// and reported once with the data dir. After space is freed everything
// works and bbolt's check passes.
func TestDiskFull(t *testing.T) {
	testenv.NeedRoot(t, "mounting a tmpfs for the data dir")
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
	dataDir := filepath.Join(mnt, "data")
	metricsAddr := freeAddr(t)
	h := startHearth(t, dataDir, "--metrics-listen", metricsAddr)
	c := h.client()
	ctx := context.Background()
	createFunction(t, c, "warm", runtimeCases[1])
	createFunction(t, c, "cold", runtimeCases[1])
	invoke(t, c, "warm", map[string]any{"action": "log"})

	filler := fillDisk(t, mnt)
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("late"), Runtime: types.RuntimePython312,
		Handler: aws.String("app.handler"), Role: aws.String("arn:aws:iam::000000000000:role/r"),
		Code: &types.FunctionCode{ZipFile: pythonZip(t)}})
	if err == nil {
		t.Fatal("CreateFunction succeeded on a full disk")
	}
	cleanFailure(t, "CreateFunction", err)
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("cold"), Payload: []byte(`{}`)})
	cleanFailure(t, "a cold start", err)
	t.Logf("cold start on a full disk: %v", err)
	for range 3 {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("warm"), Payload: []byte(`{"action":"log"}`)})
		cleanFailure(t, "a warm invocation", err)
		if err == nil && out.FunctionError != nil {
			t.Fatalf("warm invocation on a full disk: %s %s", aws.ToString(out.FunctionError), out.Payload)
		}
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("warm"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{}`)})
	cleanFailure(t, "an async invocation", err)
	t.Logf("async invocation on a full disk: %v", err)
	waitFor(t, "lost function output to be counted", func() bool { return lostLogBytes(t, metricsAddr) > 0 })
	logs := h.logs()
	if n := strings.Count(logs, "function log output cannot be written"); n != 1 || !strings.Contains(logs, dataDir) ||
		!strings.Contains(logs, "no space left on device") {
		t.Fatalf("Hearth's log on a full disk (%d loss reports):\n%s", n, logs)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	createFunction(t, c, "late", runtimeCases[1])
	for _, name := range []string{"cold", "warm", "late"} {
		if r := invoke(t, c, name, map[string]any{"action": "log"}); r.FunctionError != "" {
			t.Fatalf("%s after freeing space: %s %s", name, r.FunctionError, r.Raw)
		}
	}
	waitFor(t, "output to be written again", func() bool { return strings.Contains(h.logs(), "function log output is written again") })
	h.stop()
	if out, err := exec.Command(hearthBin, "store", "check", "--data-dir", dataDir).CombinedOutput(); err != nil {
		t.Fatalf("hearth store check after a full disk: %v\n%s", err, out)
	}
}

// lostLogBytes reads hearth_function_log_bytes_lost_total.
func lostLogBytes(t *testing.T, addr string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "hearth_function_log_bytes_lost_total "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}
