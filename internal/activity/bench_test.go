package activity_test

import (
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/activity"
	"github.com/hearth-run/hearth/internal/metrics"
)

// publishPair publishes one invocation's start and end, as the invoker
// does for every invocation.
func publishPair(b *activity.Bus) {
	ev := activity.Event{Kind: activity.InvokeStart, Function: "fn", Qualifier: "$LATEST", Version: "$LATEST",
		Runtime: "python3.12", Env: "0123456789abcdef", RequestID: "req"}
	b.Publish(ev)
	ev.Kind, ev.Outcome, ev.Duration = activity.InvokeEnd, activity.OutcomeOK, time.Millisecond
	b.Publish(ev)
}

// BenchmarkPublish is what one invocation pays for its events: with no
// reader (the baseline), with the metrics, and with the metrics and one
// console stream subscribed.
func BenchmarkPublish(b *testing.B) {
	b.Run("bare", func(b *testing.B) {
		bus := activity.New(activity.Options{})
		for b.Loop() {
			publishPair(bus)
		}
	})
	b.Run("metrics", func(b *testing.B) {
		bus := activity.New(activity.Options{})
		bus.Handle(metrics.New(metrics.Options{}).Observe)
		for b.Loop() {
			publishPair(bus)
		}
	})
	b.Run("metrics+stream", func(b *testing.B) {
		bus := activity.New(activity.Options{})
		bus.Handle(metrics.New(metrics.Options{}).Observe)
		sub := bus.Subscribe(1024)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range sub.Events() {
			}
		}()
		for b.Loop() {
			publishPair(bus)
		}
		sub.Close()
		<-done
	})
}
