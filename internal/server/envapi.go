package server

import (
	"fmt"
	"net"
	"strconv"

	"github.com/hearth-run/hearth/internal/config"
	"github.com/hearth-run/hearth/internal/sandbox"
)

// envAPIHost is the name under which isolated environments, each in its
// own network namespace, reach the host: the sandbox writes it into their
// /etc/hosts. It is the one place that says how environments find Hearth.
const envAPIHost = "host.hearth.internal"

// listenForEnvironments opens the listener through which environments
// reach the API and returns the URL they are given as
// AWS_ENDPOINT_URL_LAMBDA. Isolated environments have their own network
// namespaces and cannot reach the host's loopback, so Hearth listens on a
// port of all addresses and accepts only connections from the sandbox's
// network range. Plain environments share the host's network and use the
// API listener itself.
func (s *Server) listenForEnvironments(cfg config.Config) (net.Listener, string, error) {
	port := strconv.Itoa(s.listener.Addr().(*net.TCPAddr).Port)
	if !s.sandbox.Isolated() {
		host, _, _ := net.SplitHostPort(cfg.Listen)
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		return nil, "http://" + net.JoinHostPort(host, port), nil
	}
	cidr := cfg.NetworkCIDR
	if cidr == "" {
		cidr = sandbox.DefaultNetworkCIDR
	}
	_, ipn, err := net.ParseCIDR(cidr)
	if err != nil {
		return nil, "", fmt.Errorf("environment API: network range %q: %w", cidr, err)
	}
	ln, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		return nil, "", fmt.Errorf("environment API: listen: %w", err)
	}
	envPort := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	return rangeListener{Listener: ln, allowed: ipn}, "http://" + envAPIHost + ":" + envPort, nil
}

// rangeListener accepts only connections from addresses in allowed and
// closes the others at once.
type rangeListener struct {
	net.Listener
	allowed *net.IPNet
}

// Accept implements net.Listener.
func (l rangeListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if a, ok := c.RemoteAddr().(*net.TCPAddr); ok && l.allowed.Contains(a.IP) {
			return c, nil
		}
		_ = c.Close()
	}
}
