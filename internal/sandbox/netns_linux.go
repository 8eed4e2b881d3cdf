package sandbox

import (
	"fmt"
	"io"
	"net"
	"os"
	"runtime"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// runtimeAPIAddr is where every isolated environment finds its Runtime
// API, inside its own network namespace, as on Lambda.
const runtimeAPIAddr = "127.0.0.1:9001"

// envNet is the network side of one isolated environment: a network
// namespace Hearth holds open (ns) with no process in it until an init is
// cloned into it, the Runtime API listener opened inside it and, for
// network "nat", the veth link to the host. Namespaces are made ahead of
// demand and recycled between environments (spare_linux.go): making one
// costs milliseconds of CPU and of the kernel's rtnl lock, reusing one a
// few system calls.
type envNet struct {
	ns      *os.File // the namespace; holding it keeps it alive
	network string   // "nat" or "none"
	ln      net.Listener
	link    *natLink // nil for network "none"
	nat     *natNet  // owner of link
	// rx is the host side's received-packet count when the namespace was
	// handed to an environment: if it grew, the environment talked beyond
	// its link and the host's connection tracking may remember it.
	rx uint64
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

// destroy releases the listener, the link and the namespace. The kernel
// destroys the namespace once nothing holds it.
func (en *envNet) destroy() {
	if en.ln != nil {
		_ = en.ln.Close()
		en.ln = nil
	}
	if en.link != nil {
		en.nat.release(en.link)
		en.link = nil
	}
	if en.ns != nil {
		_ = en.ns.Close()
		en.ns = nil
	}
}

// newNet makes a network namespace held by Hearth alone: loopback up, the
// veth link for network "nat", and the Runtime API listener at
// 127.0.0.1:9001. Hearth keeps the listener and serves it from its own
// process; nothing outside the namespace can connect to it.
func (m *Manager) newNet(network string) (en *envNet, err error) {
	ns, err := newNamespace()
	if err != nil {
		return nil, err
	}
	en = &envNet{ns: ns, network: network, nat: m.nat}
	defer func() {
		if err != nil {
			en.destroy()
		}
	}()
	if network == "nat" && m.nat != nil { // nil: NAT unavailable, New said so
		if en.link, err = m.nat.attach(int(ns.Fd())); err != nil {
			return en, err
		}
	}
	en.ln, err = inNamespace(int(ns.Fd()), func() (net.Listener, error) {
		// A new namespace's loopback is always its link 1.
		lo := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "lo", Index: 1}}
		if err := netlink.LinkSetUp(lo); err != nil {
			return nil, fmt.Errorf("bring lo up: %w", err)
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
	if en.link != nil {
		en.rx = en.link.rxPackets()
	}
	return en, nil
}

// newNamespace creates a network namespace on a thread of its own and
// returns it open; the thread returns to Hearth's namespace (or, if it
// cannot, ends with its goroutine).
func newNamespace() (*os.File, error) {
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, err}
			return
		}
		defer home.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, fmt.Errorf("new network namespace: %w", err)}
			return
		}
		f, err := os.Open("/proc/thread-self/ns/net")
		if rerr := unix.Setns(int(home.Fd()), unix.CLONE_NEWNET); rerr != nil {
			if f != nil {
				_ = f.Close()
			}
			ch <- result{nil, fmt.Errorf("return to host namespace: %w", rerr)}
			return // still locked: the thread ends with this goroutine
		}
		runtime.UnlockOSThread()
		ch <- result{f, err}
	}()
	r := <-ch
	return r.f, r.err
}

// nopCloser lets inNamespace run work that opens nothing.
type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// runInNamespace runs fn on a thread that has joined the namespace nsfd:
// a process fn starts is born in it.
func runInNamespace(nsfd int, fn func() error) error {
	_, err := inNamespace(nsfd, func() (nopCloser, error) { return nopCloser{}, fn() })
	return err
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
