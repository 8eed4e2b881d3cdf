package jsstore_test

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hearth-run/hearth/internal/cluster"
	"github.com/hearth-run/hearth/internal/jsstore"
	"github.com/hearth-run/hearth/internal/store"
	"github.com/hearth-run/hearth/internal/store/storetest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestConformanceR3 runs the suite on buckets replicated over a cluster
// of three embedded servers, with each store's client connected to a
// different server, so compare-and-set conflicts come from Raft.
func TestConformanceR3(t *testing.T) {
	if testing.Short() {
		t.Skip("three-server cluster")
	}
	const n = 3
	clients, routes := make([]string, n), make([]string, n)
	for i := range clients {
		clients[i], routes[i] = freeAddr(t), freeAddr(t)
	}
	var urls []string
	for i := range n {
		var others []string
		for j := range n {
			if j != i {
				others = append(others, "nats://"+routes[j])
			}
		}
		ns, err := cluster.StartServer(cluster.ServerOptions{
			NodeName: fmt.Sprint("n", i), Cluster: "test", Listen: clients[i], ClusterListen: routes[i],
			Routes: others, StoreDir: t.TempDir(),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(ns.Shutdown)
		urls = append(urls, ns.ClientURL())
	}
	var js []jetstream.JetStream
	for _, u := range urls {
		nc, err := nats.Connect(u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		j, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		js = append(js, j)
	}
	var count atomic.Int64
	prefixes := map[store.Metadata]string{}
	open := func(t *testing.T, prefix string, node int) store.Metadata {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := jsstore.OpenWhenReady(ctx, js[node], jsstore.Options{Prefix: prefix, Replicas: 3})
		if err != nil {
			t.Fatal(err)
		}
		prefixes[s] = prefix
		return s
	}
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) store.Metadata { return open(t, fmt.Sprintf("r%d", count.Add(1)), 0) },
		Reopen: func(t *testing.T, s store.Metadata) store.Metadata {
			s.Close()
			return open(t, prefixes[s], 2) // another server answers
		},
	})
}
