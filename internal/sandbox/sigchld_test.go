//go:build linux && (amd64 || arm64)

package sandbox

import (
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// TestQuietStops: once quietStops ran, stopping and continuing a child
// sends Hearth no SIGCHLD, its exit still does, and Wait still reports it.
func TestQuietStops(t *testing.T) {
	quietStops()
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGCHLD)
	defer signal.Stop(sigs)
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	pid := cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if err := waitStopped(pid, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-sigs:
		t.Fatalf("got %v for a stop or continue", s)
	case <-time.After(200 * time.Millisecond):
	}
	_ = cmd.Process.Kill()
	select {
	case <-sigs:
	case <-time.After(5 * time.Second):
		t.Fatal("no SIGCHLD at the child's exit")
	}
	if err := <-waited; err == nil {
		t.Fatal("Wait of a killed child = nil")
	}
}
