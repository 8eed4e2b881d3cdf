package queue

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hearth-run/hearth/internal/function"
)

// Conditions of an invocation record, as Lambda names them.
const (
	ConditionSuccess          = "Success"
	ConditionRetriesExhausted = "RetriesExhausted"
	ConditionEventAgeExceeded = "EventAgeExceeded"
)

// deliver runs one dispatched event and records its outcome.
func (q *Queue) deliver(ctx context.Context, wg *sync.WaitGroup, it *item, cfg EventConfig) {
	defer wg.Done()
	rec, err := q.read(it.seq)
	if err != nil {
		q.log.Error("dispatched event unreadable, dropping it", "seq", it.seq, "function", it.function, "err", err)
		q.stats.dropped.Add(1)
		q.observe(it.function, "", OutcomeDropped)
		q.done(it, true, doneRemove)
		return
	}
	ev := rec.event()
	out, err := q.opts.Invoker.InvokeAsync(ctx, &ev)
	switch {
	case ctx.Err() != nil && (err != nil || out.Throttled):
		// Shutting down cut the invocation short: no outcome is recorded,
		// so the event stays stored and runs again (at least once). One
		// that completed is recorded below like any other, so that it does
		// not run again after a restart.
		q.done(it, true, doneRequeue)
	case errors.Is(err, ErrFunctionGone):
		q.log.Warn("function gone, dropping event", "function", rec.Function, "qualifier", rec.Qualifier,
			"requestId", rec.ID, "err", err)
		q.stats.dropped.Add(1)
		q.observe(rec.Function, rec.Qualifier, OutcomeDropped)
		q.apply(it, true, []op{{del: rec.seq}}, doneRemove)
	case err != nil || out.Throttled:
		if err != nil {
			q.log.Warn("invocation could not run, retrying later", "function", rec.Function,
				"requestId", rec.ID, "err", err)
		}
		q.stats.throttles.Add(1)
		q.observe(rec.Function, rec.Qualifier, OutcomeThrottled)
		q.done(it, true, doneThrottled)
	case out.FunctionError == "":
		q.stats.succeeded.Add(1)
		q.observe(rec.Function, rec.Qualifier, OutcomeSucceeded)
		ops := []op{{del: rec.seq}}
		if cfg.OnSuccess != "" {
			ops = q.destination(ops, cfg.OnSuccess, q.invocationRecord(rec, ConditionSuccess, rec.Attempts+1, &out))
		}
		q.apply(it, true, ops, doneRemove)
	default:
		q.functionError(it, rec, cfg, &out)
	}
}

// functionError schedules a retry or takes the failure path.
func (q *Queue) functionError(it *item, rec *record, cfg EventConfig, out *Outcome) {
	rec.Attempts++
	rec.LastError, rec.LastResponse, rec.LastVersion = out.FunctionError, out.Payload, out.ExecutedVersion
	if rec.Attempts > cfg.MaxRetryAttempts {
		q.apply(it, true, q.failure(rec, cfg, ConditionRetriesExhausted), doneRemove)
		return
	}
	delays := q.opts.RetryDelays
	at := q.opts.Now().Add(delays[min(rec.Attempts-1, len(delays)-1)])
	if at.Sub(rec.Accepted) > cfg.MaxEventAge {
		// The retry would come after the event's maximum age: Lambda would
		// discard it then, so take the failure path now.
		q.apply(it, true, q.failure(rec, cfg, ConditionEventAgeExceeded), doneRemove)
		return
	}
	rec.NotBefore = at
	q.stats.retries.Add(1)
	q.observe(rec.Function, rec.Qualifier, OutcomeRetried)
	it.notBefore = at
	q.apply(it, true, []op{{put: rec}}, doneRetry)
}

// expire takes the failure path for an event past its maximum age.
func (q *Queue) expire(wg *sync.WaitGroup, it *item, cfg EventConfig) {
	defer wg.Done()
	rec, err := q.read(it.seq)
	if err != nil {
		q.log.Error("expired event unreadable, dropping it", "seq", it.seq, "err", err)
		q.done(it, false, doneRemove)
		return
	}
	q.apply(it, false, q.failure(rec, cfg, ConditionEventAgeExceeded), doneRemove)
}

// failure returns the ops of the failure path: remove the event, send an
// invocation record to OnFailure and the original event to the dead-letter
// target.
func (q *Queue) failure(rec *record, cfg EventConfig, condition string) []op {
	q.stats.failed.Add(1)
	q.observe(rec.Function, rec.Qualifier, OutcomeFailed)
	q.log.Info("async event failed", "function", rec.Function, "requestId", rec.ID,
		"condition", condition, "attempts", rec.Attempts)
	ops := []op{{del: rec.seq}}
	if cfg.OnFailure == "" && cfg.DeadLetter == "" {
		q.stats.dropped.Add(1)
		return ops
	}
	if cfg.OnFailure != "" {
		var out *Outcome
		if rec.LastError != "" {
			out = &Outcome{FunctionError: rec.LastError, Payload: rec.LastResponse, ExecutedVersion: rec.LastVersion}
		}
		ops = q.destination(ops, cfg.OnFailure, q.invocationRecord(rec, condition, rec.Attempts, out))
	}
	if cfg.DeadLetter != "" {
		if fn, qual, ok := parseTarget(cfg.DeadLetter); ok {
			q.stats.deadLetter.Add(1)
			ops = append(ops, op{put: &record{ID: function.NewUUID(), Function: fn, Qualifier: qual,
				Payload: rec.Payload, Accepted: q.opts.Now()}})
		} else {
			q.log.Warn("dead-letter target is not a function, not delivered", "target", cfg.DeadLetter)
		}
	}
	return ops
}

// destination appends an op that enqueues payload for the target function.
func (q *Queue) destination(ops []op, target string, payload []byte) []op {
	fn, qual, ok := parseTarget(target)
	if !ok {
		q.log.Warn("destination is not a function, not delivered", "target", target)
		return ops
	}
	q.stats.destinations.Add(1)
	return append(ops, op{put: &record{ID: function.NewUUID(), Function: fn, Qualifier: qual,
		Payload: payload, Accepted: q.opts.Now()}})
}

// What done does with an item once its outcome is known.
const (
	doneRemove    = iota // outcome recorded: forget the event
	doneRetry            // wait until it.notBefore
	doneThrottled        // back to the lane's head, pause the lane
	doneRequeue          // back to the lane's head, no pause
)

// apply commits ops, then updates the dispatch state. If the commit fails
// the stored event is unchanged, so it is treated as a throttle: the event
// runs again later.
func (q *Queue) apply(it *item, counted bool, ops []op, how int) {
	if err := q.commit(ops); err != nil {
		q.log.Error("recording async outcome failed, event will run again", "seq", it.seq, "err", err)
		it.notBefore = time.Time{}
		how = doneThrottled
	}
	q.done(it, counted, how)
}

// done updates the dispatch state for a finished item and wakes the
// dispatcher. counted says whether the item held an in-flight slot.
func (q *Queue) done(it *item, counted bool, how int) {
	q.mu.Lock()
	l := q.laneLocked(it.function)
	if counted {
		l.inFlight--
		q.inFlight--
	}
	switch how {
	case doneRemove:
		delete(q.items, it.seq)
		l.streak = 0
	case doneRetry:
		l.streak = 0
		heap.Push(&q.delayed, it)
	case doneThrottled:
		pause := q.opts.ThrottleBackoff[0]
		for i := 0; i < l.streak && pause < q.opts.ThrottleBackoff[1]; i++ {
			pause *= 2
		}
		pause = min(pause, q.opts.ThrottleBackoff[1])
		l.streak++
		l.pausedUntil = q.opts.Now().Add(pause)
		l.ready = append([]*item{it}, l.ready...)
	case doneRequeue:
		l.ready = append([]*item{it}, l.ready...)
	}
	q.mu.Unlock()
	if how == doneRemove && q.opts.Settled != nil {
		q.opts.Settled(it.id)
	}
	q.signal()
}
