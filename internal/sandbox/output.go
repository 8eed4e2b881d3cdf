package sandbox

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// setOutput points the child's stdout and stderr at one pipe (or at w
// itself when it is a file) and returns the end to close after the start.
func (p *Process) setOutput(cmd *exec.Cmd, w io.Writer) (childEnd *os.File, err error) {
	p.outDone = make(chan struct{})
	if f, ok := w.(*os.File); ok {
		cmd.Stdout, cmd.Stderr = f, f
		close(p.outDone)
		return nil, nil
	}
	r, wr, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("output pipe: %w", err)
	}
	cmd.Stdout, cmd.Stderr = wr, wr
	p.outR = r
	return wr, nil
}

// copyOutput forwards the output pipe to w. Owned by the Process; it ends
// when the last writer is gone or cleanup closes the pipe.
func (p *Process) copyOutput(w io.Writer) {
	defer close(p.outDone)
	buf := make([]byte, 32<<10)
	for {
		n, err := p.outR.Read(buf)
		if n > 0 {
			p.outRead.Add(int64(n))
			_, _ = w.Write(buf[:n])
			p.outWritten.Add(int64(n))
		}
		if err != nil {
			return
		}
	}
}

// SyncOutput waits, at most max, until everything the tree has written to
// its stdout and stderr so far has reached the Output writer. Hearth calls
// it at the end of an invocation so that a function's last log lines come
// before the END and REPORT lines, as on Lambda.
func (p *Process) SyncOutput(max time.Duration) {
	if p.outR == nil {
		return
	}
	deadline := time.Now().Add(max)
	quiet := 0
	for quiet < 2 && time.Now().Before(deadline) {
		select {
		case <-p.outDone:
			return
		default:
		}
		if p.pipeEmpty() && p.outRead.Load() == p.outWritten.Load() {
			// Seen twice in a row: a Read that returned just before the
			// first look has had time to count its bytes.
			quiet++
			if quiet < 2 {
				runtime.Gosched()
			}
			continue
		}
		quiet = 0
		time.Sleep(20 * time.Microsecond)
	}
}

// pipeEmpty reports whether the output pipe holds no unread bytes.
func (p *Process) pipeEmpty() bool {
	rc, err := p.outR.SyscallConn()
	if err != nil {
		return true
	}
	n := 0
	_ = rc.Control(func(fd uintptr) {
		n, err = unix.IoctlGetInt(int(fd), unix.TIOCINQ)
	})
	return err != nil || n == 0
}
