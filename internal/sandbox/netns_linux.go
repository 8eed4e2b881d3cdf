package sandbox

import (
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// runtimeAPIAddr is where every isolated environment finds its Runtime
// API, inside its own network namespace, as on Lambda.
const runtimeAPIAddr = "127.0.0.1:9001"

// envNet is the network side of one isolated environment: the Runtime API
// listener opened inside its namespace and, for network "nat", the veth
// link to the host.
type envNet struct {
	ln   net.Listener
	link *natLink // nil for network "none"
	nat  *natNet  // owner of link
}

// hosts is the environment's /etc/hosts.
func (en *envNet) hosts() string {
	// sandbox.localdomain is where extensions listen for Telemetry API
	// events, as on Lambda.
	s := "127.0.0.1\tlocalhost sandbox.localdomain\n::1\tlocalhost ip6-localhost ip6-loopback\n"
	if en.link != nil {
		s += en.link.host.String() + "\t" + hostAlias + "\n"
	}
	return s
}

// close releases the listener and the link. The namespace itself goes
// away with its last process and the listener, which holds a reference.
func (en *envNet) close() {
	if en.ln != nil {
		_ = en.ln.Close()
	}
	if en.link != nil {
		en.nat.release(en.link)
		en.link = nil
	}
}

// setupNet prepares the network namespace of the init pid: loopback up,
// the veth link for network "nat", and the Runtime API listener at
// 127.0.0.1:9001. Hearth keeps the listener and serves it from its own
// process; nothing outside the namespace can connect to it.
func (m *Manager) setupNet(pid int, network string) (en *envNet, err error) {
	nsf, err := os.Open("/proc/" + strconv.Itoa(pid) + "/ns/net")
	if err != nil {
		return nil, fmt.Errorf("open network namespace: %w", err)
	}
	defer nsf.Close()
	en = &envNet{nat: m.nat}
	defer func() {
		if err != nil {
			en.close()
		}
	}()
	if network == "nat" && m.nat != nil { // nil: NAT unavailable, New said so
		if en.link, err = m.nat.attach(int(nsf.Fd())); err != nil {
			return en, err
		}
	}
	en.ln, err = inNamespace(int(nsf.Fd()), func() (net.Listener, error) {
		if err := linkUp("lo"); err != nil {
			return nil, err
		}
		if en.link != nil {
			if err := en.link.configurePeer(); err != nil {
				return nil, err
			}
		}
		return net.Listen("tcp", runtimeAPIAddr)
	})
	if err != nil {
		return en, fmt.Errorf("network namespace: %w", err)
	}
	return en, nil
}

// inNamespace runs fn on an OS thread that has joined the network
// namespace nsfd, then returns the thread to Hearth's namespace. Sockets
// fn opens stay in the namespace they were created in. If the thread
// cannot return, it is left locked so that the Go runtime discards it, and
// what fn opened is closed.
func inNamespace[T io.Closer](nsfd int, fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		var zero T
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{zero, err}
			return
		}
		defer home.Close()
		if err := unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{zero, fmt.Errorf("setns: %w", err)}
			return
		}
		v, err := fn()
		if rerr := unix.Setns(int(home.Fd()), unix.CLONE_NEWNET); rerr != nil {
			// Still locked: the thread ends with this goroutine.
			if err == nil {
				_ = v.Close()
			}
			ch <- result{zero, fmt.Errorf("return to host namespace: %w", rerr)}
			return
		}
		runtime.UnlockOSThread()
		ch <- result{v, err}
	}()
	r := <-ch
	return r.v, r.err
}

// linkUp brings the named link up in the calling thread's namespace.
func linkUp(name string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("find %s: %w", name, err)
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return fmt.Errorf("bring %s up: %w", name, err)
	}
	return nil
}
