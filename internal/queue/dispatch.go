package queue

import (
	"container/heap"
	"context"
	"errors"
	"sort"
	"sync"
	"time"
)

// item is a stored event's dispatch state; its payload stays on disk until
// the event is dispatched.
type item struct {
	seq       uint64
	id        string // the event's request ID
	function  string
	qualifier string
	accepted  time.Time
	notBefore time.Time // retry time; zero when ready
	heapIndex int
}

func itemOf(r *record) *item {
	return &item{seq: r.seq, id: r.ID, function: r.Function, qualifier: r.Qualifier,
		accepted: r.Accepted, notBefore: r.NotBefore, heapIndex: -1}
}

// lane is one function's dispatch state.
type lane struct {
	ready       []*item   // events to dispatch, in sequence order
	inFlight    int       // invocations of this function running
	pausedUntil time.Time // no dispatch before this (after a throttle)
	streak      int       // consecutive throttles, for the backoff
}

// insert adds it in sequence order; retried events usually go near the head.
func (l *lane) insert(it *item) {
	i := sort.Search(len(l.ready), func(i int) bool { return l.ready[i].seq > it.seq })
	l.ready = append(l.ready, nil)
	copy(l.ready[i+1:], l.ready[i:])
	l.ready[i] = it
}

// addLocked makes it known to the dispatcher. Caller holds q.mu.
func (q *Queue) addLocked(it *item) {
	q.items[it.seq] = it
	if it.notBefore.After(q.opts.Now()) {
		heap.Push(&q.delayed, it)
		return
	}
	it.notBefore = time.Time{}
	q.laneLocked(it.function).insert(it)
}

func (q *Queue) laneLocked(function string) *lane {
	l := q.lanes[function]
	if l == nil {
		l = &lane{}
		q.lanes[function] = l
	}
	return l
}

// Run dispatches events until ctx is done, then waits for the invocations it
// started and returns nil. Invocations cut short by ctx stay stored and run
// again on the next Run.
func (q *Queue) Run(ctx context.Context) error {
	if q.opts.Invoker == nil {
		return errors.New("queue: Options.Invoker is required to run")
	}
	q.mu.Lock()
	if q.running {
		q.mu.Unlock()
		return ErrRunning
	}
	q.running = true
	q.mu.Unlock()

	var wg sync.WaitGroup // every deliver and expire goroutine started below
	defer func() {
		wg.Wait()
		q.mu.Lock()
		q.running = false
		q.mu.Unlock()
	}()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		if next := q.pass(ctx, &wg); !next.IsZero() {
			timer.Reset(max(next.Sub(q.opts.Now()), 0))
		}
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-q.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// passState memoizes configuration reads within one dispatch pass.
type passState struct {
	now     time.Time
	next    time.Time // earliest time a new pass is needed; zero = none
	configs map[[2]string]EventConfig
	limits  map[string]int // -1 = no reserved concurrency
}

func (p *passState) wakeAt(t time.Time) {
	if p.next.IsZero() || t.Before(p.next) {
		p.next = t
	}
}

// pass starts every dispatch that is possible now, one event per function
// per round so that functions share the global cap, and returns when the
// next pass is due by time (zero: only an event can make progress).
func (q *Queue) pass(ctx context.Context, wg *sync.WaitGroup) time.Time {
	p := &passState{now: q.opts.Now(), configs: map[[2]string]EventConfig{}, limits: map[string]int{}}
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.delayed.Len() > 0 && !q.delayed[0].notBefore.After(p.now) {
		it := heap.Pop(&q.delayed).(*item)
		it.notBefore = time.Time{}
		q.laneLocked(it.function).insert(it)
	}
	if q.delayed.Len() > 0 {
		p.wakeAt(q.delayed[0].notBefore)
	}
	for progress := true; progress; {
		progress = false
		for name, l := range q.lanes {
			if q.stepLocked(ctx, wg, p, name, l) {
				progress = true
			}
		}
	}
	return p.next
}

// stepLocked dispatches or expires the head of one lane, reporting whether
// it did. Caller holds q.mu.
func (q *Queue) stepLocked(ctx context.Context, wg *sync.WaitGroup, p *passState, name string, l *lane) bool {
	if len(l.ready) == 0 {
		if l.inFlight == 0 && !l.pausedUntil.After(p.now) {
			delete(q.lanes, name)
		}
		return false
	}
	it := l.ready[0]
	cfg := q.configLocked(p, it)
	expiry := it.accepted.Add(cfg.MaxEventAge)
	if p.now.After(expiry) {
		l.ready = l.ready[1:]
		wg.Add(1)
		go q.expire(wg, it, cfg)
		return true
	}
	if l.pausedUntil.After(p.now) {
		p.wakeAt(l.pausedUntil)
		p.wakeAt(expiry)
		return false
	}
	if q.inFlight >= q.opts.MaxInFlight {
		return false // a finishing invocation wakes the dispatcher
	}
	if limit := q.limitLocked(p, name); limit >= 0 && l.inFlight >= limit {
		p.wakeAt(expiry)
		return false
	}
	l.ready = l.ready[1:]
	l.inFlight++
	q.inFlight++
	wg.Add(1)
	go q.deliver(ctx, wg, it, cfg)
	return true
}

func (q *Queue) configLocked(p *passState, it *item) EventConfig {
	k := [2]string{it.function, it.qualifier}
	if cfg, ok := p.configs[k]; ok {
		return cfg
	}
	cfg := EventConfig{MaxRetryAttempts: DefaultMaxRetryAttempts}
	if q.opts.Configs != nil {
		c, err := q.opts.Configs.EventInvokeConfig(it.function, it.qualifier)
		if err != nil {
			q.log.Warn("event invoke config unavailable, using defaults",
				"function", it.function, "qualifier", it.qualifier, "err", err)
		} else {
			cfg = c
		}
	}
	cfg.MaxRetryAttempts = max(cfg.MaxRetryAttempts, 0)
	if cfg.MaxEventAge <= 0 {
		cfg.MaxEventAge = DefaultMaxEventAge
	}
	p.configs[k] = cfg
	return cfg
}

func (q *Queue) limitLocked(p *passState, function string) int {
	if limit, ok := p.limits[function]; ok {
		return limit
	}
	limit := -1
	if q.opts.Configs != nil {
		if n, ok := q.opts.Configs.Concurrency(function); ok {
			limit = max(n, 0)
		}
	}
	p.limits[function] = limit
	return limit
}

// delayHeap orders events waiting for a retry by their retry time.
type delayHeap []*item

func (h delayHeap) Len() int           { return len(h) }
func (h delayHeap) Less(i, j int) bool { return h[i].notBefore.Before(h[j].notBefore) }
func (h delayHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIndex, h[j].heapIndex = i, j
}
func (h *delayHeap) Push(x any) {
	it := x.(*item)
	it.heapIndex = len(*h)
	*h = append(*h, it)
}
func (h *delayHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	it.heapIndex = -1
	return it
}
