package sandbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// DefaultNetworkCIDR is the address range of network "nat" links. It is
// part of 198.18.0.0/15, which RFC 2544 reserves for benchmarking and no
// real network routes, so it does not collide with the host's own routes;
// New refuses a range that overlaps one anyway.
const DefaultNetworkCIDR = "198.18.0.0/16"

// hostAlias names the host's side of an environment's link in the
// environment's /etc/hosts, like host.docker.internal.
const hostAlias = "host.hearth.internal"

// vethPrefix starts the name of the host side of every environment link.
// The kernel's refusal of a duplicate name is what keeps two Hearth
// processes on one host from taking the same slot.
const vethPrefix = "hth"

// natNet hands out /30 links from the range: slot i uses the four
// addresses from base+4i, the host side +1, the environment +2.
type natNet struct {
	base  uint32
	slots int
	rules *natRules
	tag   string // alias of every host-side link of this Hearth

	mu   sync.Mutex   // guards used and next
	used map[int]bool // slots held by this Manager's environments
	next int          // where the search for a free slot starts
}

// natLink is one environment's veth pair, the peer named eth0 inside the
// environment's namespace.
type natLink struct {
	slot       int
	name       string // host side
	host, peer net.IP
}

// newNatNet checks the range against the host's routes, turns on IPv4
// forwarding and installs the masquerading rules in table.
func newNatNet(cidr, table string) (*natNet, error) {
	ip, ipn, err := net.ParseCIDR(cidr)
	if err != nil || ip.To4() == nil {
		return nil, fmt.Errorf("%w: %q: want an IPv4 CIDR", errRangeOverlap, cidr)
	}
	ones, _ := ipn.Mask.Size()
	if ones > 28 {
		return nil, fmt.Errorf("%w: %q: too small, want /28 or larger", errRangeOverlap, cidr)
	}
	if err := checkRoutes(ipn); err != nil {
		return nil, err
	}
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644); err != nil {
		return nil, fmt.Errorf("enable ip forwarding: %w", err)
	}
	rules, err := installNAT(table, ipn)
	if err != nil {
		return nil, err
	}
	return &natNet{
		tag:   table,
		base:  binary.BigEndian.Uint32(ipn.IP.To4()),
		slots: 1 << (32 - ones) / 4,
		rules: rules,
		used:  map[int]bool{},
	}, nil
}

// checkRoutes fails when a host route, other than Hearth's own links,
// overlaps the range.
func checkRoutes(ipn *net.IPNet) error {
	routes, err := retryDump(func() ([]netlink.Route, error) { return netlink.RouteList(nil, netlink.FAMILY_V4) })
	if err != nil {
		return fmt.Errorf("list routes: %w", err)
	}
	for _, r := range routes {
		if r.Dst == nil || !(r.Dst.Contains(ipn.IP) || ipn.Contains(r.Dst.IP)) {
			continue
		}
		if ones, _ := r.Dst.Mask.Size(); ones == 0 {
			continue // the default route
		}
		l, err := netlink.LinkByIndex(r.LinkIndex)
		if err != nil || strings.HasPrefix(l.Attrs().Name, vethPrefix) {
			continue // a Hearth's link, or one gone since the routes were listed
		}
		return fmt.Errorf("%w: %s overlaps the host route %s; choose another with --network-cidr", errRangeOverlap, ipn, r.Dst)
	}
	return nil
}

func (n *natNet) addr(slot, off int) net.IP {
	ip := make(net.IP, 4)
	binary.BigEndian.PutUint32(ip, n.base+uint32(4*slot+off))
	return ip
}

// attach creates a veth pair for the namespace nsfd: the host side with
// its address, up; the peer moved into the namespace as eth0, configured
// later from inside (configurePeer). The lock covers only the choice of a
// slot, so that concurrent cold starts create their links in parallel.
func (n *natNet) attach(nsfd int) (*natLink, error) {
	for range n.slots {
		slot, ok := n.reserve()
		if !ok {
			break
		}
		l := &natLink{slot: slot, name: vethPrefix + strconv.Itoa(slot), host: n.addr(slot, 1), peer: n.addr(slot, 2)}
		la := netlink.NewLinkAttrs()
		la.Name, la.Flags = l.name, net.FlagUp
		veth := &netlink.Veth{LinkAttrs: la, PeerName: "eth0", PeerNamespace: netlink.NsFd(nsfd)}
		err := netlink.LinkAdd(veth) // which also learns the new link's index
		if errors.Is(err, unix.EEXIST) {
			n.unreserve(slot) // another Hearth's, or one still being torn down
			continue
		}
		if err != nil {
			n.unreserve(slot)
			return nil, fmt.Errorf("create veth %s: %w", l.name, err)
		}
		if err := l.configureHost(veth, n.tag); err != nil {
			n.release(l)
			return nil, err
		}
		return l, nil
	}
	return nil, fmt.Errorf("network range exhausted (%d links)", n.slots)
}

// reserve picks a slot this Manager does not use, starting after the last
// one picked, and marks it used.
func (n *natNet) reserve() (int, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for range n.slots {
		slot := n.next
		n.next = (n.next + 1) % n.slots
		if !n.used[slot] {
			n.used[slot] = true
			return slot, true
		}
	}
	return 0, false
}

func (n *natNet) unreserve(slot int) {
	n.mu.Lock()
	delete(n.used, slot)
	n.mu.Unlock()
}

func (l *natLink) mask() net.IPMask { return net.CIDRMask(30, 32) }

// configureHost tags the host side, created up (the kernel ignores an
// alias given at creation), and addresses it.
func (l *natLink) configureHost(link netlink.Link, tag string) error {
	if err := netlink.LinkSetAlias(link, tag); err != nil {
		return fmt.Errorf("tag veth %s: %w", l.name, err)
	}
	if err := netlink.AddrAdd(link, &netlink.Addr{IPNet: &net.IPNet{IP: l.host, Mask: l.mask()}}); err != nil {
		return fmt.Errorf("address veth %s: %w", l.name, err)
	}
	return nil
}

// configurePeer runs inside the environment's namespace: eth0 gets its
// address and comes up, and the host side becomes the default route.
func (l *natLink) configurePeer() error {
	eth, err := netlink.LinkByName("eth0")
	if err != nil {
		return fmt.Errorf("find eth0: %w", err)
	}
	if err := netlink.AddrAdd(eth, &netlink.Addr{IPNet: &net.IPNet{IP: l.peer, Mask: l.mask()}}); err != nil {
		return fmt.Errorf("address eth0: %w", err)
	}
	// NAT is IPv4 only. Without an IPv6 address on eth0 the environment
	// sends nothing over its link of its own accord (no duplicate address
	// detection or router solicitation), so traffic on it means the
	// function used the network (see resetNet).
	if err := netlink.LinkSetIP6AddrGenMode(eth, in6AddrGenModeNone); err != nil {
		return fmt.Errorf("eth0 without IPv6 address: %w", err)
	}
	if err := netlink.LinkSetUp(eth); err != nil {
		return fmt.Errorf("bring eth0 up: %w", err)
	}
	if err := netlink.RouteAdd(&netlink.Route{LinkIndex: eth.Attrs().Index, Gw: l.host}); err != nil {
		return fmt.Errorf("default route: %w", err)
	}
	return nil
}

// release deletes the link (both ends) and frees its slot.
func (n *natNet) release(l *natLink) {
	if link, err := netlink.LinkByName(l.name); err == nil {
		_ = netlink.LinkDel(link)
	}
	n.unreserve(l.slot)
}

// removeLinks deletes the host-side links tagged tag (left by a Hearth
// that died; the kernel normally removes them with their namespace) and
// returns how many there were.
func removeLinks(tag string) int {
	links, err := retryDump(netlink.LinkList)
	if err != nil {
		return 0
	}
	n := 0
	for _, l := range links {
		if a := l.Attrs(); strings.HasPrefix(a.Name, vethPrefix) && a.Alias == tag {
			if netlink.LinkDel(l) == nil {
				n++
			}
		}
	}
	return n
}

// close removes the NAT rules. Links go with their environments.
func (n *natNet) close() error {
	if n == nil {
		return nil
	}
	return n.rules.remove()
}

// in6AddrGenModeNone is the kernel's IN6_ADDR_GEN_MODE_NONE: the link
// gets no IPv6 link-local address.
const in6AddrGenModeNone = 1

// retryDump runs a netlink dump again while the kernel reports it
// interrupted by a concurrent change (links of other environments come and
// go all the time), a few times, then returns the last, possibly
// incomplete, result with the error.
func retryDump[T any](dump func() ([]T, error)) ([]T, error) {
	var out []T
	var err error
	for range 10 {
		if out, err = dump(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	return out, err
}
