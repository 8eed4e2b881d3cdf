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
//
// A watch sees only the changes made once it is in place, so whatever
// changed before — while this node started, or while its connection was
// lost — is caught up by a call once it is: onResync for the functions
// (the whole of them may have changed), onRules for the rules.
func (s *Store) Watch(ctx context.Context, onFunction func(name string), onRules, onResync func()) {
	go watchBucket(ctx, s.rules, func(string) { onRules() }, onRules)
	watchBucket(ctx, s.functions, onFunction, onResync)
}

// watchBucket calls f with the name under every changed key until ctx
// ends, re-watching after a lost connection; caught is called each time
// a watch is in place, for the changes it cannot see.
func watchBucket(ctx context.Context, b bucket, f func(name string), caught func()) {
	for ctx.Err() == nil {
		w, err := b.kv.WatchAll(ctx, jetstream.UpdatesOnly(), jetstream.MetaOnly())
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		caught()
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
