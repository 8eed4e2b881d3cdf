package jsstore

import (
	"context"
	"encoding/hex"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Watch calls onFunction with the name of every function that changes
// (from any node) and onRules after every change to rules, until ctx
// ends. Nodes use it to drop what they cached of a function changed
// elsewhere and to reload the schedule.
func (s *Store) Watch(ctx context.Context, onFunction func(name string), onRules func()) {
	go watchBucket(ctx, s.rules, func(string) { onRules() })
	watchBucket(ctx, s.functions, onFunction)
}

// watchBucket calls f with the name under every changed key until ctx
// ends, re-watching after a lost connection.
func watchBucket(ctx context.Context, b bucket, f func(name string)) {
	for ctx.Err() == nil {
		w, err := b.kv.WatchAll(ctx, jetstream.UpdatesOnly(), jetstream.MetaOnly())
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		for e := range w.Updates() {
			if e != nil {
				f(nameOf(e.Key()))
			}
		}
		w.Stop()
	}
}

// nameOf reverses key.
func nameOf(k string) string {
	if rest, ok := strings.CutPrefix(k, "="); ok {
		if b, err := hex.DecodeString(rest); err == nil {
			return string(b)
		}
	}
	return k
}
