package activity

import (
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Bus.
type Options struct {
	// History is how many recent events the Bus keeps for Recent.
	// Default 4096.
	History int
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Bus passes events from their publishers to handlers and subscribers.
type Bus struct {
	opts Options

	mu       sync.Mutex // guards everything below
	seq      uint64
	ring     []Event // the last opts.History events, oldest at next once full
	next     int
	handlers []func(Event)
	subs     map[*Subscription]struct{}
}

// New returns a Bus.
func New(opts Options) *Bus {
	if opts.History <= 0 {
		opts.History = 4096
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Bus{opts: opts, subs: map[*Subscription]struct{}{}}
}

// Handle registers h to run synchronously for every event published from
// now on. h must be quick and must not publish.
func (b *Bus) Handle(h func(Event)) {
	b.mu.Lock()
	b.handlers = append(b.handlers, h)
	b.mu.Unlock()
}

// Publish stamps ev with a sequence number and, when it has none, the
// time, and passes it on.
func (b *Bus) Publish(ev Event) {
	if b == nil {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = b.opts.Now()
	}
	b.mu.Lock()
	b.seq++
	ev.Seq = b.seq
	if len(b.ring) < b.opts.History {
		b.ring = append(b.ring, ev)
	} else {
		b.ring[b.next] = ev
		b.next = (b.next + 1) % len(b.ring)
	}
	// Handlers and sends run under mu so that every reader sees events in
	// Seq order; neither blocks.
	for _, h := range b.handlers {
		h(ev)
	}
	for s := range b.subs {
		select {
		case s.c <- ev:
		default:
			s.missed.Add(1)
		}
	}
	b.mu.Unlock()
}

// Recent returns the kept events with Seq greater than after, oldest
// first.
func (b *Bus) Recent(after uint64) []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Event, 0, len(b.ring))
	for i := range b.ring {
		ev := b.ring[(b.next+i)%len(b.ring)]
		if ev.Seq > after {
			out = append(out, ev)
		}
	}
	return out
}

// Subscription receives the events published after Subscribe.
type Subscription struct {
	bus    *Bus
	c      chan Event
	missed atomic.Uint64
	once   sync.Once
}

// Subscribe returns a Subscription whose channel holds up to buffer
// events; Close ends it.
func (b *Bus) Subscribe(buffer int) *Subscription {
	s := &Subscription{bus: b, c: make(chan Event, max(buffer, 1))}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Events is the channel of published events; it is closed by Close.
func (s *Subscription) Events() <-chan Event { return s.c }

// Missed is how many events did not fit into the channel.
func (s *Subscription) Missed() uint64 { return s.missed.Load() }

// Close stops the subscription and closes its channel.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.bus.mu.Lock()
		delete(s.bus.subs, s)
		close(s.c)
		s.bus.mu.Unlock()
	})
}
