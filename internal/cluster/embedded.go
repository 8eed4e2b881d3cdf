// Package cluster runs Hearth as one node of a cluster: an embedded NATS
// server with JetStream (clustered over routes with the other nodes), or a
// connection to an existing NATS, and the JetStream-backed parts built on
// it.
package cluster

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ServerOptions configures an embedded NATS server.
type ServerOptions struct {
	// NodeName names this server; required in a cluster.
	NodeName string
	// Cluster is the cluster's name; "" runs a server of its own.
	Cluster string
	// Listen is the host:port clients (Hearth nodes) connect to.
	Listen string
	// ClusterListen is the host:port of the routes to the other servers.
	ClusterListen string
	// Routes are the other servers' route URLs, nats://host:port.
	Routes []string
	// StoreDir is where JetStream keeps its data.
	StoreDir string
	// MaxPayload is the largest message; default 8 MiB (function
	// documents with many versions are larger than NATS's default 1 MiB).
	MaxPayload int32
	// Ready bounds how long Start waits for the server to accept clients;
	// default 10s.
	Ready time.Duration
}

// StartServer starts an embedded NATS server with JetStream.
func StartServer(opts ServerOptions) (*server.Server, error) {
	host, port, err := splitHostPort(opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("nats listen %q: %w", opts.Listen, err)
	}
	if opts.MaxPayload == 0 {
		opts.MaxPayload = 8 << 20
	}
	if opts.Ready == 0 {
		opts.Ready = 10 * time.Second
	}
	so := &server.Options{
		ServerName: opts.NodeName, Host: host, Port: port, JetStream: true, StoreDir: opts.StoreDir,
		MaxPayload: opts.MaxPayload, NoSigs: true, NoLog: true,
	}
	if opts.Cluster != "" {
		chost, cport, err := splitHostPort(opts.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("cluster listen %q: %w", opts.ClusterListen, err)
		}
		so.Cluster = server.ClusterOpts{Name: opts.Cluster, Host: chost, Port: cport}
		so.Routes = server.RoutesFromStr(strings.Join(opts.Routes, ","))
	}
	ns, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("nats server: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(opts.Ready) {
		ns.Shutdown()
		return nil, fmt.Errorf("nats server on %s not ready after %s", opts.Listen, opts.Ready)
	}
	return ns, nil
}

func splitHostPort(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, err
	}
	return h, port, nil
}
