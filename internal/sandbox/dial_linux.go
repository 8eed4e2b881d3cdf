package sandbox

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// DialContext connects to addr as seen from inside the environment: in
// its network namespace when it has one (where 127.0.0.1 is the
// environment's own loopback), else from the host. Hearth delivers
// Telemetry API events to an extension's listener this way.
func (p *Process) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	if p.net == nil {
		return d.DialContext(ctx, network, addr)
	}
	nsf, err := os.Open("/proc/" + strconv.Itoa(p.pid) + "/ns/net")
	if err != nil {
		return nil, fmt.Errorf("open network namespace of %s: %w", p.id, err)
	}
	defer nsf.Close()
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() { // ends with the dial; its thread dies if it cannot return home
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: err}
			return
		}
		defer home.Close()
		if err := unix.Setns(int(nsf.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("setns: %w", err)}
			return
		}
		c, err := d.DialContext(ctx, network, addr)
		if rerr := unix.Setns(int(home.Fd()), unix.CLONE_NEWNET); rerr != nil {
			if c != nil {
				_ = c.Close()
			}
			ch <- result{err: fmt.Errorf("return to host namespace: %w", rerr)}
			return
		}
		runtime.UnlockOSThread()
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}
