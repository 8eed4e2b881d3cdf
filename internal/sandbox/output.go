package sandbox

import (
	"fmt"
	"io"
	"os"
	"os/exec"
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
//
// Each read of the pipe happens between two increments of outSeq, and the
// bytes it took are counted in outRead before the second: while outSeq is
// even, every byte gone from the pipe is in outRead. The wait for data
// lies outside, in the poller (the pipe is non-blocking).
func (p *Process) copyOutput(w io.Writer) {
	defer close(p.outDone)
	rc, err := p.outR.SyscallConn()
	if err != nil {
		return
	}
	buf := make([]byte, 32<<10)
	for {
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			p.outSeq.Add(1)
			for {
				n, rerr = unix.Read(int(fd), buf)
				if rerr != unix.EINTR {
					break
				}
			}
			if n > 0 {
				p.outRead.Add(int64(n))
			}
			p.outSeq.Add(1)
			return rerr != unix.EAGAIN
		})
		if n > 0 {
			_, _ = w.Write(buf[:n])
			p.outWritten.Add(int64(n))
		}
		if err != nil || rerr != nil || n <= 0 {
			return // closed, failed, or every writer is gone (EOF)
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
	for time.Now().Before(deadline) {
		select {
		case <-p.outDone:
			return
		default:
		}
		if p.outputQuiet() {
			return
		}
		time.Sleep(20 * time.Microsecond)
	}
}

// outputQuiet reports whether the pipe is empty and all it held has been
// written to the Output writer. outSeq, even and unchanged around the
// look, shows that no read had taken bytes it had not yet counted: one
// look suffices, with no yield to let a read finish counting (which cost
// a hand-off of the caller to another thread on every invocation).
func (p *Process) outputQuiet() bool {
	seq := p.outSeq.Load()
	if seq%2 != 0 {
		return false
	}
	quiet := p.outRead.Load() == p.outWritten.Load() && p.pipeEmpty()
	return quiet && p.outSeq.Load() == seq
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
