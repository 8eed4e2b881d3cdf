package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// idleReturn is how long a node keeps a unit of concurrency it no longer
// uses before handing it back: steady traffic on a node reuses its units
// without a round trip to JetStream.
const idleReturn = time.Second

// Concurrency enforces reserved concurrency, and the account's unreserved
// concurrency (under invoke.AccountKey), across the cluster. Each
// function's units are counted in one key of the hearth-concurrency
// bucket: how many each node holds and until when. A node takes a unit
// from its own holding when it has a free one (no round trip); otherwise
// it adds one by compare-and-set, refused when the units of all nodes
// whose holding has not expired reach the limit. Every leaseTTL/4 a node
// renews its holdings and returns units idle for idleReturn. A node that
// dies stops renewing: its units count for no one after leaseTTL.
//
// Expiry compares wall clocks across nodes, so they must be roughly in
// step (NTP); a skew shortens or lengthens how long a dead node's units
// stay counted.
type Concurrency struct {
	kv   jetstream.KeyValue
	node string

	mu   sync.Mutex
	held map[string]*holding
}

// holding is this node's units of one function.
type holding struct {
	units, inUse int
	idleSince    time.Time
}

// concDoc is the stored holdings of one function, by node.
type concDoc struct {
	Nodes map[string]*share `json:"nodes"`
}

type share struct {
	Units   int       `json:"units"`
	Expires time.Time `json:"expires"`
}

// Concurrency opens the concurrency bucket.
func (n *Node) Concurrency() (*Concurrency, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var kv jetstream.KeyValue
	err := retry(ctx, func(ctx context.Context) (err error) {
		kv, err = n.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: "hearth-concurrency", History: 1, Storage: jetstream.FileStorage, Replicas: n.Replicas,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Concurrency{kv: kv, node: n.Name, held: map[string]*holding{}}, nil
}

// Acquire takes one unit of the key's limit (a reserved function's name,
// or invoke.AccountKey), reporting false when the cluster already runs
// limit invocations under it. When this node holds no free unit and cannot
// reach JetStream, it reports false too: a node cut off from the cluster
// throttles rather than exceed a limit it cannot check.
func (c *Concurrency) Acquire(function string, limit int) bool {
	c.mu.Lock()
	h := c.held[function]
	if h == nil {
		h = &holding{}
		c.held[function] = h
	}
	if h.inUse < h.units && h.units <= limit {
		h.inUse++
		c.mu.Unlock()
		return true
	}
	c.mu.Unlock()
	units, ok := c.change(function, func(mine *share, others int) bool {
		if others+mine.Units >= limit {
			return false
		}
		mine.Units++
		return true
	})
	if !ok {
		return false
	}
	c.mu.Lock()
	h.units = units
	h.inUse++
	c.mu.Unlock()
	return true
}

// Release gives back a unit taken by Acquire; the node keeps it for a
// while for the next invocation.
func (c *Concurrency) Release(function string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h := c.held[function]; h != nil && h.inUse > 0 {
		h.inUse--
		h.idleSince = time.Now()
	}
}

// Run renews this node's holdings and returns idle units until ctx ends.
func (c *Concurrency) Run(ctx context.Context) {
	tick := time.NewTicker(leaseTTL / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		c.mu.Lock()
		keep := map[string]int{}
		for fn, h := range c.held {
			k := h.units
			if h.inUse < h.units && time.Since(h.idleSince) > idleReturn {
				k = h.inUse
			}
			if h.units > 0 || k > 0 {
				keep[fn] = k
			}
		}
		c.mu.Unlock()
		for fn, k := range keep {
			units, ok := c.change(fn, func(mine *share, _ int) bool {
				mine.Units = min(mine.Units, max(k, c.inUse(fn)))
				return true
			})
			c.mu.Lock()
			if h := c.held[fn]; h != nil && ok {
				h.units = units
			}
			c.mu.Unlock()
		}
	}
}

func (c *Concurrency) inUse(function string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h := c.held[function]; h != nil {
		return h.inUse
	}
	return 0
}

// change applies f to this node's share of the function by compare-and-set,
// with others the live units of the other nodes; f returning false writes
// nothing. It returns this node's units afterwards and whether f agreed.
func (c *Concurrency) change(function string, f func(mine *share, others int) bool) (int, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		var doc concDoc
		var rev uint64
		e, err := c.kv.Get(ctx, function)
		switch {
		case err == nil:
			rev = e.Revision()
			if json.Unmarshal(e.Value(), &doc) != nil {
				doc = concDoc{}
			}
		case !errors.Is(err, jetstream.ErrKeyNotFound):
			return 0, false
		}
		if doc.Nodes == nil {
			doc.Nodes = map[string]*share{}
		}
		now, others := time.Now(), 0
		for node, s := range doc.Nodes {
			if node != c.node && s.Expires.After(now) {
				others += s.Units
			}
			if !s.Expires.After(now) && node != c.node {
				delete(doc.Nodes, node) // a dead node's units
			}
		}
		mine := doc.Nodes[c.node]
		if mine == nil {
			mine = &share{}
		}
		if !f(mine, others) {
			return mine.Units, false
		}
		mine.Expires = now.Add(leaseTTL)
		doc.Nodes[c.node] = mine
		if mine.Units == 0 {
			delete(doc.Nodes, c.node)
		}
		data, _ := json.Marshal(&doc)
		if rev == 0 {
			_, err = c.kv.Create(ctx, function, data)
		} else {
			_, err = c.kv.Update(ctx, function, data, rev)
		}
		if err == nil {
			return mine.Units, true
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return 0, false
		}
	}
	return 0, false
}
