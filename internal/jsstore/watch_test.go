package jsstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/jsstore"
)

// TestWatchCatchesUp: Watch calls onResync once its watch is in place, so
// that a node catches up with what changed before; a change made from
// then on reaches onFunction. A resync called before the watch is in
// place would let that change go unseen.
func TestWatchCatchesUp(t *testing.T) {
	js := startJetStream(t)
	s, err := jsstore.Open(context.Background(), js, jsstore.Options{Prefix: "watch"})
	if err != nil {
		t.Fatal(err)
	}
	create := func(name string) {
		c := function.Config{Name: name, Runtime: "python3.12", Handler: "app.handler", CodeSHA256: "code-" + name}
		c.ApplyDefaults()
		c.Touch(time.Now())
		if err := s.CreateFunction(&function.Function{Latest: c}); err != nil {
			t.Errorf("create %s: %v", name, err)
		}
	}
	create("before") // made before the watch: only a resync covers it
	changed := make(chan string, 8)
	resynced := make(chan struct{}, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Watch(ctx, func(name string) { changed <- name }, func() {}, func() {
		create("after") // made the moment the watch is in place
		resynced <- struct{}{}
	})
	timeout := time.After(10 * time.Second)
	select {
	case <-resynced:
	case <-timeout:
		t.Fatal("no resync within 10 s of Watch")
	}
	for {
		select {
		case name := <-changed:
			if name == "after" {
				return
			}
			if name == "before" {
				t.Fatalf("a change made before the watch was reported as an update")
			}
		case <-timeout:
			t.Fatal("a change made once the watch was in place never reached onFunction")
		}
	}
}
