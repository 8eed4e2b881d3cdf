package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Cluster is how a Hearth node joins a cluster. The zero value is a single
// Hearth on bbolt, which needs nothing else.
type Cluster struct {
	Name          string   // cluster name; "" = no embedded NATS cluster
	NodeName      string   // this node's name, unique in the cluster
	NATSListen    string   // client address of the embedded NATS server
	ClusterListen string   // route address of the embedded NATS server
	Routes        []string // the other servers' route URLs, nats://host:port
	NATSURL       string   // an existing NATS to use instead of embedding one
	// NodeMemoryMB is the memory this node's environments may take, in
	// MB; an invocation that would need more is forwarded to a node with
	// room. 0 = 80% of the machine's memory.
	NodeMemoryMB int
}

// Enabled reports whether the node keeps its state in JetStream.
func (c Cluster) Enabled() bool { return c.Name != "" || c.NATSURL != "" }

// flags registers the cluster flags on fs, each with an environment twin.
func (c *Cluster) flags(fs *flag.FlagSet, getenv func(string) string) {
	str := func(p *string, name, env, usage string) {
		if v := getenv(env); v != "" {
			*p = v
		}
		fs.StringVar(p, name, *p, usage+" (env "+env+")")
	}
	str(&c.Name, "cluster", "HEARTH_CLUSTER", "run as a node of this cluster, with an embedded NATS JetStream server")
	str(&c.NodeName, "node-name", "HEARTH_NODE_NAME", "this node's name in the cluster")
	str(&c.NATSListen, "nats-listen", "HEARTH_NATS_LISTEN", "client address of the embedded NATS server")
	str(&c.ClusterListen, "cluster-listen", "HEARTH_CLUSTER_LISTEN", "route address of the embedded NATS server")
	str(&c.NATSURL, "nats-url", "HEARTH_NATS_URL", "use this existing NATS JetStream (nats://host:port,...) instead of embedding one")
	if v, err := strconv.Atoi(getenv("HEARTH_NODE_MEMORY")); err == nil {
		c.NodeMemoryMB = v
	}
	fs.IntVar(&c.NodeMemoryMB, "node-memory", c.NodeMemoryMB,
		"memory in MB this node's environments may take before invocations go to other nodes; 0 = 80% of the machine's (env HEARTH_NODE_MEMORY)")
	routes := strings.Join(c.Routes, ",")
	if v := getenv("HEARTH_CLUSTER_ROUTES"); v != "" {
		routes = v
	}
	c.Routes = splitList(routes)
	fs.Func("cluster-routes", "comma-separated route URLs of the other nodes, nats://host:port (env HEARTH_CLUSTER_ROUTES)",
		func(v string) error { c.Routes = splitList(v); return nil })
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// validate reports a cluster setting that cannot work.
func (c Cluster) validate() error {
	switch {
	case c.Name != "" && c.NATSURL != "":
		return errors.New("set --cluster (embedded NATS) or --nats-url (existing NATS), not both")
	case c.Name == "" && (c.ClusterListen != "" || len(c.Routes) > 0):
		return errors.New("--cluster-listen and --cluster-routes need --cluster")
	case c.NodeMemoryMB < 0:
		return errors.New("--node-memory must not be negative")
	case !c.Enabled():
		return nil
	case c.NodeName == "":
		return errors.New("a cluster node needs --node-name")
	case c.NATSURL != "":
		return nil
	}
	for flag, addr := range map[string]string{"--nats-listen": c.NATSListen, "--cluster-listen": c.ClusterListen} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("%s %q: %w", flag, addr, err)
		}
	}
	return nil
}
