package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/queue"
	"github.com/hearth-run/hearth/internal/schedule"
	"github.com/hearth-run/hearth/internal/store"
)

// asyncInvoker runs the queue's events through the server's invoker. The
// queue is created first, so that the invoker gets it in its Options; the
// queue invokes only once running, after both exist.
type asyncInvoker struct{ s *Server }

var _ queue.Invoker = asyncInvoker{}

func (a asyncInvoker) InvokeAsync(ctx context.Context, ev *queue.Event) (queue.Outcome, error) {
	return a.s.invoker.InvokeAsync(ctx, ev)
}

// fireRule sends a rule's firing to each of its targets through the async
// queue, as EventBridge invokes Lambda targets asynchronously, skipping
// targets whose resource policy does not allow the rule (permit).
func fireRule(q *queue.Queue, permit *rulePermit, cfgRegion, account string, log *slog.Logger) func(context.Context, store.Rule, time.Time) {
	return func(ctx context.Context, rule store.Rule, at time.Time) {
		arn := "arn:aws:events:" + cfgRegion + ":" + account + ":rule/" + rule.Name
		for _, t := range rule.Targets {
			name, qualifier, ok := function.ParseFunctionARN(t.ARN)
			if !ok || !permit.allowed(rule.Name, arn, t.ARN, name, qualifier) {
				continue
			}
			payload := []byte(t.Input)
			if t.Input == "" {
				payload = schedule.ScheduledEvent(account, cfgRegion, arn, at)
			}
			if _, err := q.Enqueue(ctx, queue.Event{Function: name, Qualifier: qualifier, Payload: payload}); err != nil {
				log.Warn("scheduled rule could not enqueue its target", "rule", rule.Name, "target", t.ID, "err", err)
			}
		}
	}
}

// scaled multiplies d by f, keeping at least a millisecond.
func scaled(d time.Duration, f float64) time.Duration {
	return max(time.Duration(float64(d)*f), time.Millisecond)
}

// fastClock runs schedule time speedup times faster than real time, from
// start on: a rate(1 minute) rule fires every second at speedup 60.
type fastClock struct {
	start   time.Time
	speedup float64
}

func (c fastClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.start)) * c.speedup))
}

func (c fastClock) After(d time.Duration) <-chan time.Time {
	return time.After(time.Duration(float64(d) / c.speedup))
}
