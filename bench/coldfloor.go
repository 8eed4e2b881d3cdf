package main

import (
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"time"
)

// goFloor measures the floor of a Go cold start: the aws-lambda-go hello
// executed as a plain child of this process, no sandbox, no Hearth, from
// its fork until its first GET /next reaches a minimal Runtime API
// server. Everything an isolated start adds sits on top of it.
type goFloor struct {
	bin  string
	ln   net.Listener
	srv  *http.Server
	next chan time.Time
}

func newGoFloor(bin string) (*goFloor, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &goFloor{bin: bin, ln: ln, next: make(chan time.Time, 1)}
	f.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case f.next <- time.Now():
		default:
		}
		<-r.Context().Done() // a long poll that never gets an event
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = f.srv.Serve(ln) }() // ends with Close
	return f, nil
}

// sample starts the bootstrap once and returns the time to its first
// /next.
func (f *goFloor) sample() (time.Duration, error) {
	cmd := exec.Command(f.bin)
	cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + f.ln.Addr().String(), "_HANDLER=bootstrap",
		"AWS_LAMBDA_FUNCTION_NAME=floor", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128", "PATH=/usr/bin:/bin"}
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	select {
	case at := <-f.next:
		return at.Sub(begin), nil
	case <-time.After(10 * time.Second):
		return 0, fmt.Errorf("floor: %s sent no /next within 10 s", f.bin)
	}
}

func (f *goFloor) Close() { _ = f.srv.Close() }
