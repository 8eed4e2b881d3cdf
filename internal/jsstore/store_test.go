package jsstore_test

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hearth-run/hearth/internal/cluster"
	"github.com/hearth-run/hearth/internal/jsstore"
	"github.com/hearth-run/hearth/internal/store"
	"github.com/hearth-run/hearth/internal/store/storetest"
)

// startJetStream runs an embedded NATS server with JetStream on a free
// loopback port and returns a JetStream client of it.
func startJetStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ns, err := cluster.StartServer(cluster.ServerOptions{NodeName: "test", Listen: addr, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// TestConformance runs the store.Metadata conformance suite against
// JetStream: each case gets buckets of its own on one server.
func TestConformance(t *testing.T) {
	js := startJetStream(t)
	var n atomic.Int64
	prefixes := map[store.Metadata]string{}
	open := func(t *testing.T, prefix string) store.Metadata {
		s, err := jsstore.Open(context.Background(), js, jsstore.Options{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		prefixes[s] = prefix
		return s
	}
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) store.Metadata { return open(t, fmt.Sprintf("t%d", n.Add(1))) },
		Reopen: func(t *testing.T, s store.Metadata) store.Metadata {
			s.Close()
			return open(t, prefixes[s])
		},
	})
}
