// Command gofn is a test function built with aws-lambda-go: what it does is
// chosen by the event's "action".
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"golang.org/x/sys/unix"
)

type event struct {
	Action string `json:"action"`
	Sleep  int    `json:"sleepMs"`
	MB     int    `json:"mb"`
	Path   string `json:"path"`
	Addr   string `json:"addr"`
	N      int    `json:"n"`
	Crash  bool   `json:"crash"`
}

var initAt = time.Now()

func handle(ctx context.Context, ev event) (map[string]any, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()
	out := map[string]any{
		"stream":    os.Getenv("AWS_LAMBDA_LOG_STREAM_NAME"),
		"initType":  os.Getenv("AWS_LAMBDA_INITIALIZATION_TYPE"),
		"version":   os.Getenv("AWS_LAMBDA_FUNCTION_VERSION"),
		"pid":       os.Getpid(),
		"uid":       os.Getuid(),
		"requestId": lc.AwsRequestID,
		"arn":       lc.InvokedFunctionArn,
		"remaining": time.Until(deadline).Milliseconds(),
		"initAt":    initAt.UnixNano(),
	}
	if ev.Crash {
		panic("crash requested")
	}
	switch ev.Action {
	case "error":
		return nil, errors.New("something went wrong")
	case "log":
		fmt.Println("hello from go")
		fmt.Fprintln(os.Stderr, "to stderr")
	case "sleep":
		time.Sleep(time.Duration(ev.Sleep) * time.Millisecond)
	case "exit":
		os.Exit(3)
	case "panic":
		panic("boom")
	case "env":
		env := map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		out["env"] = env
	case "alloc":
		var keep [][]byte
		for i := 0; i < ev.MB; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = byte(j)
			}
			keep = append(keep, b)
		}
		out["allocated"] = len(keep)
	case "read":
		b, err := os.ReadFile(ev.Path)
		out["readErr"] = fmt.Sprint(err)
		out["readLen"] = len(b)
		if len(b) <= 4096 {
			out["readText"] = string(b)
		}
	case "write":
		err := os.WriteFile(ev.Path, []byte("x"), 0o644)
		out["writeErr"] = fmt.Sprint(err)
	case "dial":
		c, err := net.DialTimeout("tcp", ev.Addr, time.Second)
		if err == nil {
			c.Close()
		}
		out["dialErr"] = fmt.Sprint(err)
	case "spawn":
		var cmds []*exec.Cmd
		var spawnErr error
		for i := 0; i < ev.N; i++ {
			cmd := exec.Command("/bin/sleep", "5")
			if spawnErr = cmd.Start(); spawnErr != nil {
				break
			}
			cmds = append(cmds, cmd)
		}
		out["spawned"] = len(cmds)
		out["spawnErr"] = fmt.Sprint(spawnErr)
		for _, c := range cmds {
			c.Process.Kill()
			c.Wait()
		}
	case "fill":
		f, err := os.Create("/tmp/fill")
		written := 0
		if err == nil {
			buf := make([]byte, 1<<20)
			for written < ev.MB<<20 {
				var n int
				n, err = f.Write(buf)
				written += n
				if err != nil {
					break
				}
			}
			f.Close()
			os.Remove("/tmp/fill")
		}
		out["fillErr"] = fmt.Sprint(err)
		out["written"] = written
	case "get":
		out["status"], out["body"], out["getErr"] = httpGet(ev.Addr)
	case "scan":
		out["scanned"], out["stolen"] = scanRuntimeAPIs(time.Duration(ev.Sleep) * time.Millisecond)
	case "syscalls":
		out["syscalls"] = forbiddenSyscalls()
	case "procs":
		entries, _ := os.ReadDir("/proc")
		n := 0
		for _, e := range entries {
			if e.IsDir() && strings.Trim(e.Name(), "0123456789") == "" {
				n++
			}
		}
		out["procs"] = n
	}
	return out, nil
}

func main() {
	if os.Getenv("GOFN_SIGTERM") != "" {
		// An internal extension: Lambda then sends SIGTERM before SIGKILL.
		lambda.StartWithOptions(handle, lambda.WithEnableSIGTERM(func() {
			fmt.Println("gofn: SIGTERM handler ran")
		}))
		return
	}
	lambda.Start(handle)
}

// httpGet fetches http://addr/ and reports the status, the body and the error.
func httpGet(addr string) (int, string, string) {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/")
	if err != nil {
		return 0, "", err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), "<nil>"
}

// scanRuntimeAPIs is an attack: it long-polls /next on every listening TCP
// port it can see except its own Runtime API, and returns the ports it
// tried and the request ids of every invocation it received.
func scanRuntimeAPIs(wait time.Duration) ([]int, []string) {
	own := os.Getenv("AWS_LAMBDA_RUNTIME_API")
	var ports []int
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 4 || fields[3] != "0A" { // LISTEN
				continue
			}
			_, hexPort, _ := strings.Cut(fields[1], ":")
			port, err := strconv.ParseUint(hexPort, 16, 16)
			if err == nil && !strings.HasSuffix(own, ":"+strconv.Itoa(int(port))) {
				ports = append(ports, int(port))
			}
		}
	}
	var (
		mu     sync.Mutex
		stolen = []string{}
		wg     sync.WaitGroup
	)
	c := &http.Client{Timeout: wait}
	for _, port := range ports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/2018-06-01/runtime/invocation/next", port))
			if err != nil {
				return
			}
			resp.Body.Close()
			if id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id"); id != "" {
				mu.Lock()
				stolen = append(stolen, id)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return ports, stolen
}

// forbiddenSyscalls tries what the environment's seccomp filter denies and
// reports each outcome ("<nil>" for success).
func forbiddenSyscalls() map[string]string {
	res := map[string]string{}
	res["unshare"] = fmt.Sprint(unix.Unshare(unix.CLONE_NEWUSER))
	_, err := unix.AddKey("user", "hearth-test", []byte("secret"), unix.KEY_SPEC_PROCESS_KEYRING)
	res["add_key"] = fmt.Sprint(err)
	_, err = unix.KeyctlInt(unix.KEYCTL_GET_KEYRING_ID, unix.KEY_SPEC_SESSION_KEYRING, 1, 0, 0)
	res["keyctl"] = fmt.Sprint(err)
	res["mount"] = fmt.Sprint(unix.Mount("none", "/tmp", "tmpfs", 0, ""))
	_, _, errno := unix.Syscall(unix.SYS_CLONE3, 0, 0, 0)
	res["clone3"] = fmt.Sprint(errno)
	// The attack of the report: a user namespace with a mount in it.
	b, err := exec.Command("unshare", "-Urm", "mount", "-t", "tmpfs", "none", "/tmp").CombinedOutput()
	res["unshare -Urm mount"] = strings.TrimSpace(fmt.Sprint(err, " ", string(b)))
	if err == nil {
		res["unshare -Urm mount"] = "<nil>"
	}
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "Seccomp:"); ok {
			res["seccompMode"] = strings.TrimSpace(v)
		}
	}
	return res
}
