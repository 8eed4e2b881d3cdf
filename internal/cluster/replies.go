package cluster

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
)

// replies receives the answers to this node's forwarded invocations on one
// wildcard inbox subscription, so that forwarding an invocation costs no
// subscription of its own (which the NATS servers would propagate over
// their routes and take back again).
type replies struct {
	prefix string
	sub    *nats.Subscription
	next   atomic.Uint64 // the last token handed out

	mu      sync.Mutex // guards waiting
	waiting map[string]chan *nats.Msg
}

// replyBuffer holds a waiter's messages while it is busy; a waiter reads
// all the time, so it never fills.
const replyBuffer = 16

// newReplies subscribes to a fresh inbox on nc.
func newReplies(nc *nats.Conn) (*replies, error) {
	r := &replies{prefix: nats.NewInbox() + ".", waiting: map[string]chan *nats.Msg{}}
	sub, err := nc.Subscribe(r.prefix+"*", r.deliver)
	if err != nil {
		return nil, err
	}
	r.sub = sub
	return r, nil
}

// open returns a reply subject and the channel its messages arrive on;
// close it with done.
func (r *replies) open() (subject string, ch chan *nats.Msg) {
	token := strconv.FormatUint(r.next.Add(1), 36)
	ch = make(chan *nats.Msg, replyBuffer)
	r.mu.Lock()
	r.waiting[token] = ch
	r.mu.Unlock()
	return r.prefix + token, ch
}

// done stops delivering to subject.
func (r *replies) done(subject string) {
	r.mu.Lock()
	delete(r.waiting, strings.TrimPrefix(subject, r.prefix))
	r.mu.Unlock()
}

// deliver hands a message to its waiter; one nobody waits for any more
// is dropped.
func (r *replies) deliver(m *nats.Msg) {
	r.mu.Lock()
	ch := r.waiting[strings.TrimPrefix(m.Subject, r.prefix)]
	r.mu.Unlock()
	if ch != nil {
		select {
		case ch <- m:
		default: // a waiter that stopped reading has given up
		}
	}
}
