package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hearth-run/hearth/internal/codestore"
	"github.com/hearth-run/hearth/internal/config"
	"github.com/hearth-run/hearth/internal/credentials"
	"github.com/hearth-run/hearth/internal/jsstore"
)

// Options configures Join.
type Options struct {
	Cluster config.Cluster
	// DataDir is the node's own data dir; the embedded server keeps
	// JetStream's data under DataDir/jetstream.
	DataDir string
	// Ready bounds how long Join waits for JetStream (a new cluster needs
	// a majority of its servers up); default 60s.
	Ready  time.Duration
	Logger *slog.Logger
}

// Node is this Hearth's membership of a cluster: its NATS connection, the
// embedded server (nil with --nats-url), and the replicated state.
type Node struct {
	Name     string
	Server   *server.Server
	Conn     *nats.Conn
	JS       jetstream.JetStream
	Replicas int
	Store    *jsstore.Store
	log      *slog.Logger
	leases   jetstream.KeyValue
	members  jetstream.KeyValue
}

// Join starts or connects to NATS, waits for JetStream and opens the
// replicated buckets.
func Join(opts Options) (_ *Node, err error) {
	c := opts.Cluster
	if opts.Ready == 0 {
		opts.Ready = 60 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	n := &Node{Name: c.NodeName, log: opts.Logger}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	url := c.NATSURL
	if url == "" {
		n.Server, err = StartServer(ServerOptions{
			NodeName: c.NodeName, Cluster: c.Name, Listen: c.NATSListen, ClusterListen: c.ClusterListen,
			Routes: c.Routes, StoreDir: filepath.Join(opts.DataDir, "jetstream"),
		})
		if err != nil {
			return nil, err
		}
		url = n.Server.ClientURL()
	}
	n.Conn, err = nats.Connect(url, nats.Name("hearth "+c.NodeName), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("connect to nats %s: %w", url, err)
	}
	if n.JS, err = jetstream.New(n.Conn); err != nil {
		return nil, err
	}
	n.Replicas = replicas(c, n.Conn)
	ctx, cancel := context.WithTimeout(context.Background(), opts.Ready)
	defer cancel()
	n.Store, err = jsstore.OpenWhenReady(ctx, n.JS, jsstore.Options{Prefix: "hearth", Replicas: n.Replicas})
	if err != nil {
		return nil, fmt.Errorf("jetstream not ready after %s (a new cluster needs most of its nodes up): %w", opts.Ready, err)
	}
	err = retry(ctx, func(ctx context.Context) (err error) {
		n.leases, err = n.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: "hearth-leases", History: 1, Storage: jetstream.FileStorage, Replicas: n.Replicas, TTL: leaseTTL,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lease bucket: %w", err)
	}
	err = retry(ctx, func(ctx context.Context) (err error) {
		n.members, err = n.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: "hearth-nodes", History: 1, Storage: jetstream.FileStorage, Replicas: n.Replicas, TTL: leaseTTL,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("member bucket: %w", err)
	}
	return n, nil
}

// replicas is 3 when the cluster has at least three servers, else 1.
func replicas(c config.Cluster, nc *nats.Conn) int {
	servers := len(c.Routes) + 1
	if c.NATSURL != "" {
		servers = len(nc.Servers())
	}
	if servers >= 3 {
		return 3
	}
	return 1
}

// Code opens the replicated code bucket over the node's local code store.
func (n *Node) Code(cache *codestore.Store) (*Code, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var code *Code
	err := retry(ctx, func(ctx context.Context) (err error) {
		code, err = OpenCode(ctx, n.JS, "hearth-code", n.Replicas, cache)
		return err
	})
	return code, err
}

// Credentials returns the cluster's root credentials: the first node to
// start stores its pair (given or generated) and every node uses it.
func (n *Node) Credentials(local credentials.Credentials) (credentials.Credentials, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var kv jetstream.KeyValue
	err := retry(ctx, func(ctx context.Context) (err error) {
		kv, err = n.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: "hearth-credentials", History: 1, Storage: jetstream.FileStorage, Replicas: n.Replicas,
		})
		return err
	})
	if err != nil {
		return local, fmt.Errorf("credentials bucket: %w", err)
	}
	value := local.AccessKeyID + "\n" + local.SecretAccessKey
	if _, err := kv.Create(ctx, "root", []byte(value)); err == nil || !errors.Is(err, jetstream.ErrKeyExists) {
		return local, err
	}
	e, err := kv.Get(ctx, "root")
	if err != nil {
		return local, fmt.Errorf("cluster credentials: %w", err)
	}
	id, secret, ok := strings.Cut(string(e.Value()), "\n")
	if !ok {
		return local, errors.New("cluster credentials are damaged")
	}
	return credentials.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
}

// Close drains the connection and stops the embedded server.
func (n *Node) Close() {
	if n.Conn != nil {
		n.Conn.Close()
	}
	if n.Server != nil {
		n.Server.Shutdown()
		n.Server.WaitForShutdown()
	}
}

// retry runs f with a short deadline of its own until it succeeds or ctx
// ends: while a cluster forms, or after it lost a server, JetStream
// requests can go unanswered for a while.
func retry(ctx context.Context, f func(context.Context) error) error {
	return retryEach(ctx, 5*time.Second, f)
}

// retryEach is retry with attempts of the given length.
func retryEach(ctx context.Context, each time.Duration, f func(context.Context) error) error {
	for {
		attempt, cancel := context.WithTimeout(ctx, each)
		err := f(attempt)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}
