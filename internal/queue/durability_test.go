package queue

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"go.etcd.io/bbolt"
)

// TestReopenRedeliversInFlight stops the queue while invocations are in
// flight (their outcomes are never recorded) and reopens the database: every
// event, in flight or waiting, is delivered by the new queue.
func TestReopenRedeliversInFlight(t *testing.T) {
	db, path := tempDB(t)
	started := make(chan struct{}, 100)
	blocking := &fakeInvoker{respond: func(ctx context.Context, ev *Event, n int) (Outcome, error) {
		started <- struct{}{}
		<-ctx.Done()
		return Outcome{}, ctx.Err()
	}}
	opts := fastOptions(db, blocking, nil)
	opts.MaxInFlight = 4
	q, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for i := range 20 {
		id, err := q.Enqueue(context.Background(), Event{Function: fmt.Sprintf("fn%d", i%3), Payload: fmt.Appendf(nil, "%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		want[id] = true
	}
	stop := start(t, q)
	for range 4 {
		<-started
	}
	stop()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db2 := openDB(t, path)
	defer db2.Close()
	inv := &fakeInvoker{}
	q2, err := New(fastOptions(db2, inv, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := q2.Stats().Depth; got != 20 {
		t.Fatalf("depth after reopen = %d, want 20", got)
	}
	start(t, q2)
	waitFor(t, "all redelivered", func() bool { return q2.Stats().Depth == 0 })
	for _, fn := range []string{"fn0", "fn1", "fn2"} {
		for _, c := range inv.callsOf(fn) {
			delete(want, c.ID)
		}
	}
	if len(want) != 0 {
		t.Errorf("%d events lost after reopen: %v", len(want), want)
	}
}

const childEnv = "HEARTH_QUEUE_KILL_CHILD_DB"

// TestKill9KeepsAcceptedEvents re-executes the test binary as a child that
// enqueues events from 8 goroutines and prints each request ID once Enqueue
// returned. The parent SIGKILLs it mid-stream and checks that every printed
// (accepted) event is in the reopened database.
func TestKill9KeepsAcceptedEvents(t *testing.T) {
	if path := os.Getenv(childEnv); path != "" {
		enqueueForever(path)
		return
	}
	path := filepath.Join(t.TempDir(), "hearth.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9KeepsAcceptedEvents$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	accepted := map[string]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(accepted) < 300 {
		if id, ok := strings.CutPrefix(sc.Text(), "accepted "); ok {
			accepted[id] = true
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() { // lines written before the kill landed
		if id, ok := strings.CutPrefix(sc.Text(), "accepted "); ok {
			accepted[id] = true
		}
	}
	_ = cmd.Wait()
	if len(accepted) < 300 {
		t.Fatalf("child accepted only %d events", len(accepted))
	}

	db := openDB(t, path)
	defer db.Close()
	stored := map[string]bool{}
	err = db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketEvents).ForEach(func(k, v []byte) error {
			rec, err := decode(k, v)
			if err == nil {
				stored[rec.ID] = true
			}
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for id := range accepted {
		if !stored[id] {
			t.Errorf("accepted event %s lost after kill -9", id)
		}
	}
	t.Logf("%d accepted, %d stored", len(accepted), len(stored))
}

// enqueueForever is the child of TestKill9KeepsAcceptedEvents.
func enqueueForever(path string) {
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	q, err := New(Options{DB: db})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex // serializes stdout lines
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				id, err := q.Enqueue(context.Background(), Event{Function: "fn", Payload: fmt.Appendf(nil, `{"g":%d,"i":%d}`, g, i)})
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "accepted %s\n", id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// TestShutdownRecordsCompletedOutcomes stops the queue while invocations
// are running; they complete after the stop (as invocations already handed
// to a runtime do). Their outcomes are recorded, so a new queue on the same
// database runs none of them again; the events never started still run.
func TestShutdownRecordsCompletedOutcomes(t *testing.T) {
	db, _ := tempDB(t)
	started := make(chan string, 100)
	finishing := &fakeInvoker{respond: func(ctx context.Context, ev *Event, n int) (Outcome, error) {
		started <- ev.ID
		<-ctx.Done()
		return Outcome{Payload: []byte(`"done"`)}, nil
	}}
	opts := fastOptions(db, finishing, nil)
	opts.MaxInFlight = 2
	q, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := q.Enqueue(context.Background(), Event{Function: "f", Payload: fmt.Appendf(nil, "%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	stop := start(t, q)
	completed := map[string]bool{<-started: true, <-started: true}
	stop()

	inv := &fakeInvoker{}
	q2, err := New(fastOptions(db, inv, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := q2.Stats().Depth; got != 3 {
		t.Fatalf("depth after shutdown = %d, want 3 (5 accepted, 2 completed)", got)
	}
	start(t, q2)
	waitFor(t, "the rest delivered", func() bool { return q2.Stats().Depth == 0 })
	for _, c := range inv.callsOf("f") {
		if completed[c.ID] {
			t.Errorf("event %s completed before shutdown and ran again", c.ID)
		}
	}
}
