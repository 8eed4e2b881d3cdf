// Command gofn is a test function built with aws-lambda-go: what it does is
// chosen by the event's "action".
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
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

func main() { lambda.Start(handle) }
