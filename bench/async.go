package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// runAsync measures how many Event invocations per second Hearth accepts:
// each 202 comes only after the event is fsync'd to the embedded store, so
// this is durable acceptance. Concurrent callers share fsyncs (group
// commit). The function has reserved concurrency 0, so nothing runs and the
// figure is acceptance alone.
func runAsync(ctx context.Context, tb *toolbox, o Options) (*Result, error) {
	per := 3 * time.Second
	calls := 0
	if o.Short {
		per, calls = 0, 20
	}
	h, err := startHearth(tb)
	if err != nil {
		return nil, err
	}
	defer h.Stop()
	if err := deploy(ctx, tb, h, "async", runtimeSpecs[0]); err != nil {
		return nil, err
	}
	r := newResult("async")
	if _, err := h.Lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("async"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		r.Unsupported = append(r.Unsupported, "async: PutFunctionConcurrency: "+err.Error())
		return r, nil
	}
	payload := []byte(`{"order":12345,"items":["a","b","c"]}`)
	once := func() error {
		out, err := h.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("async"),
			InvocationType: types.InvocationTypeEvent, Payload: payload})
		if err == nil && out.StatusCode != 202 {
			err = fmt.Errorf("status %d", out.StatusCode)
		}
		return err
	}
	t := Table{
		Title:   "Durable Event invocations accepted (202 after fsync), 40-byte payload",
		Columns: []string{"concurrent callers", "events/s", "p50 (ms)", "p99 (ms)"},
		Notes:   []string{"Each accepted event is on disk before its 202; callers arriving while one fsync runs share the next one."},
	}
	for _, c := range []int{1, 16, 64} {
		ld := load(c, per, calls, once)
		if ld.fail > 0 {
			r.problem("async at concurrency %d: %d failed, first: %v", c, ld.fail, ld.first)
		}
		t.row(fmt.Sprint(c), fmt.Sprintf("%.0f", ld.rate()), fmtDur(ld.lat.pct(50)), fmtDur(ld.lat.pct(99)))
		r.Metrics[fmt.Sprintf("async.c%d.events_per_s", c)] = ld.rate()
	}
	r.Tables = append(r.Tables, t)
	return r, nil
}
