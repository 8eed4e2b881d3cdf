package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// runWarm measures warm invocations of the aws-lambda-go hello function
// through the API with SigV4 (aws-sdk-go-v2): sequential latency, then
// throughput at concurrency 1, 8 and 64.
func runWarm(ctx context.Context, tb *toolbox, o Options) (*Result, error) {
	seq, perLevel := 5000, 3*time.Second
	if o.Short {
		seq, perLevel = 50, 0
	}
	h, err := startHearth(tb)
	if err != nil {
		return nil, err
	}
	defer h.Stop()
	if err := deploy(ctx, tb, h, "warm", runtimeSpecs[0]); err != nil {
		return nil, err
	}
	r := newResult("warm")
	payload := []byte(`{}`)
	once := func() error { return invoke(ctx, h.Lambda, "warm", "", payload, false).Err }
	// Warm up: the first environment and the client's connections.
	for range 20 {
		if err := once(); err != nil {
			return nil, err
		}
	}
	calls := make([]call, 0, seq)
	for range seq {
		calls = append(calls, invoke(ctx, h.Lambda, "warm", "", payload, false))
	}
	if n, first := failures(calls); n > 0 {
		r.problem("warm sequential: %d of %d failed, first: %v", n, seq, first)
	}
	if s := streams(calls); s != 1 {
		r.problem("warm sequential: %d environments, want 1", s)
	}
	lat := latencies(calls)
	t := Table{
		Title:   fmt.Sprintf("Warm invocations, aws-lambda-go hello, Invoke with SigV4 through aws-sdk-go-v2 (%d sequential calls)", seq),
		Columns: []string{"figure", "value"},
	}
	t.row("p50 latency (ms)", fmtDur(lat.pct(50)))
	t.row("p99 latency (ms)", fmtDur(lat.pct(99)))
	t.row("p99.9 latency (ms)", fmtDur(lat.pct(99.9)))
	r.Metrics["warm.p50_ms"] = msOf(lat.pct(50))
	r.Metrics["warm.p99_ms"] = msOf(lat.pct(99))
	r.Metrics["warm.p999_ms"] = msOf(lat.pct(99.9))
	for _, c := range []int{1, 8, 64} {
		ld := load(c, perLevel, 20, once)
		if ld.fail > 0 {
			r.problem("throughput at concurrency %d: %d failed, first: %v", c, ld.fail, ld.first)
		}
		t.row(fmt.Sprintf("throughput at concurrency %d (req/s)", c), fmt.Sprintf("%.0f", ld.rate()))
		r.Metrics[fmt.Sprintf("warm.rps_c%d", c)] = ld.rate()
		fmt.Fprintf(o.Progress, "  warm c=%d: %.0f req/s\n", c, ld.rate())
	}
	envs, err := h.environments(ctx, "warm")
	if err != nil {
		return nil, err
	}
	length := fmt.Sprintf("%s per level", perLevel)
	if perLevel == 0 {
		length = "20 calls per worker"
	}
	t.Notes = append(t.Notes, fmt.Sprintf("Throughput: closed loop, each worker calls again as soon as it is answered, %s; "+
		"environments after the run: %d.", length, len(envs)))
	r.Tables = append(r.Tables, t)
	return r, nil
}

// loadResult is what a closed-loop load run did.
type loadResult struct {
	ok, fail int
	first    error
	elapsed  time.Duration
	lat      dist
}

func (l loadResult) rate() float64 {
	if l.elapsed <= 0 {
		return 0
	}
	return float64(l.ok) / l.elapsed.Seconds()
}

// load runs conc workers calling do back to back for dur, or, when dur is
// zero, calls times each.
func load(conc int, dur time.Duration, calls int, do func() error) loadResult {
	var (
		mu  sync.Mutex // guards res
		res loadResult
		wg  sync.WaitGroup
	)
	var stop atomic.Bool
	begin := time.Now()
	for range conc {
		wg.Add(1)
		go func() { // owned by load: it waits for every worker
			defer wg.Done()
			var lat dist
			ok, fail := 0, 0
			var first error
			for i := 0; dur > 0 || i < calls; i++ {
				if dur > 0 && stop.Load() {
					break
				}
				t0 := time.Now()
				if err := do(); err != nil {
					fail++
					if first == nil {
						first = err
					}
					continue
				}
				ok++
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			res.ok += ok
			res.fail += fail
			res.lat = append(res.lat, lat...)
			if res.first == nil {
				res.first = first
			}
			mu.Unlock()
		}()
	}
	if dur > 0 {
		time.Sleep(dur)
		stop.Store(true)
	}
	wg.Wait()
	res.elapsed = time.Since(begin)
	return res
}
