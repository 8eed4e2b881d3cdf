package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// pattern is one of the seed's invocation patterns.
type pattern struct {
	name, title string
	// wantEnvs and wantCold are the seed's counts.
	wantEnvs, wantCold int
	run                func(ctx context.Context, h *hearthProc, fn string) ([]span, error)
}

// The seed's figures ("Understanding invocation patterns"), each on its
// own aws-lambda-go function.
var patterns = []pattern{
	{"concurrent-6", "6 concurrent invocations: 6 environments, 6 cold starts", 6, 6, concurrent6},
	{"sequential-6", "6 sequential invocations, each sent before the previous one has finished: 2 cold, 4 warm", 2, 2, staggered6},
	{"back-to-back-6", "6 invocations one after another: 1 environment, 1 cold start", 1, 1, backToBack6},
	{"async-reserved-1", "reserved concurrency 1, 6 asynchronous events: 1 environment processes them in turn", 1, 1, asyncReserved1},
	{"provisioned-6", "provisioned concurrency 6, 6 concurrent invocations: no cold start", 6, 0, provisioned6},
}

// runPatterns runs every pattern, counts environments and cold starts
// against the seed's, and draws each pattern's timeline.
func runPatterns(ctx context.Context, tb *toolbox, o Options) (*Result, error) {
	h, err := startHearth(tb)
	if err != nil {
		return nil, err
	}
	defer h.Stop()
	r := newResult("patterns")
	t := Table{
		Title:   "The seed's invocation patterns (aws-lambda-go hello)",
		Columns: []string{"pattern", "environments", "cold starts", "warm starts", "seed says", "picture"},
	}
	for _, p := range patterns {
		fn := "pattern-" + p.name
		if err := deploy(ctx, tb, h, fn, runtimeSpecs[0]); err != nil {
			return nil, err
		}
		spans, err := p.run(ctx, h, fn)
		if errors.Is(err, errUnsupported) {
			r.Unsupported = append(r.Unsupported, fmt.Sprintf("%s: %v", p.name, err))
			t.row(p.name, "-", "-", "-", fmt.Sprintf("%d env, %d cold", p.wantEnvs, p.wantCold), "unsupported")
			continue
		}
		if err != nil {
			r.problem("%s: %v", p.name, err)
			continue
		}
		envs, cold := len(envOrder(spans)), 0
		for _, s := range spans {
			if s.Cold {
				cold++
			}
		}
		if envs != p.wantEnvs || cold != p.wantCold || len(spans) != 6 {
			r.problem("%s: %d invocations in %d environments with %d cold starts, the seed says 6 in %d with %d",
				p.name, len(spans), envs, cold, p.wantEnvs, p.wantCold)
		}
		file, err := writeTimeline(o.OutDir, p.name, p.title, spans)
		if err != nil {
			return nil, err
		}
		if file != "" {
			r.Files = append(r.Files, file)
		}
		t.row(p.name, fmt.Sprint(envs), fmt.Sprint(cold), fmt.Sprint(len(spans)-cold),
			fmt.Sprintf("%d env, %d cold", p.wantEnvs, p.wantCold), filepath.Base(file))
		r.Metrics["patterns."+p.name+".environments"] = float64(envs)
		r.Metrics["patterns."+p.name+".cold"] = float64(cold)
	}
	r.Tables = append(r.Tables, t)
	return r, nil
}

func syncSpans(calls []call) ([]span, error) {
	if n, first := failures(calls); n > 0 {
		return nil, fmt.Errorf("%d invocations failed, first: %w", n, first)
	}
	spans := make([]span, len(calls))
	for i, c := range calls {
		spans[i] = spanOf(c)
	}
	return spans, nil
}

func concurrent6(ctx context.Context, h *hearthProc, fn string) ([]span, error) {
	calls, _ := fanOut(6, func(int) call { return invoke(ctx, h.Lambda, fn, "", []byte(`{"sleepMs":300}`), true) })
	return syncSpans(calls)
}

// staggered6 sends an invocation every 450 ms, each running 600 ms: the
// second arrives while the first still runs, and from the third on one of
// the two environments is free again. 450 rather than 400 leaves a cold
// start 300 ms of slack before a third environment would be needed, so
// the pattern holds on a loaded machine.
func staggered6(ctx context.Context, h *hearthProc, fn string) ([]span, error) {
	calls, _ := fanOut(6, func(i int) call {
		time.Sleep(time.Duration(i) * 450 * time.Millisecond)
		return invoke(ctx, h.Lambda, fn, "", []byte(`{"sleepMs":600}`), true)
	})
	return syncSpans(calls)
}

func backToBack6(ctx context.Context, h *hearthProc, fn string) ([]span, error) {
	var calls []call
	for range 6 {
		calls = append(calls, invoke(ctx, h.Lambda, fn, "", []byte(`{"sleepMs":50}`), true))
	}
	return syncSpans(calls)
}

// provisioned6 publishes a version behind the alias "live", provisions 6
// environments for it, waits until they are ready and invokes the alias 6
// times at once.
func provisioned6(ctx context.Context, h *hearthProc, fn string) ([]span, error) {
	v, err := h.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn)})
	if err != nil {
		return nil, fmt.Errorf("%w: PublishVersion: %v", errUnsupported, err)
	}
	if _, err := h.Lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(fn), Name: aws.String("live"), FunctionVersion: v.Version}); err != nil {
		return nil, fmt.Errorf("%w: CreateAlias: %v", errUnsupported, err)
	}
	if _, err := h.Lambda.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String(fn), Qualifier: aws.String("live"), ProvisionedConcurrentExecutions: aws.Int32(6),
	}); err != nil {
		return nil, fmt.Errorf("%w: PutProvisionedConcurrencyConfig: %v", errUnsupported, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := h.Lambda.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("live")})
		if err != nil {
			return nil, fmt.Errorf("GetProvisionedConcurrencyConfig: %w", err)
		}
		if out.Status == types.ProvisionedConcurrencyStatusEnumReady {
			break
		}
		if out.Status == types.ProvisionedConcurrencyStatusEnumFailed || time.Now().After(deadline) {
			return nil, fmt.Errorf("provisioned concurrency %s: %s", out.Status, aws.ToString(out.StatusReason))
		}
		time.Sleep(50 * time.Millisecond)
	}
	calls, _ := fanOut(6, func(int) call { return invoke(ctx, h.Lambda, fn, "live", []byte(`{"sleepMs":300}`), true) })
	for _, c := range calls {
		if c.Err == nil && c.InitType != "provisioned-concurrency" {
			return nil, fmt.Errorf("an invocation ran in an environment of initialization type %q", c.InitType)
		}
	}
	return syncSpans(calls)
}

// asyncReserved1 reserves concurrency 1 and sends 6 events at once; the
// function prints its start and end times, read back from its log streams.
func asyncReserved1(ctx context.Context, h *hearthProc, fn string) ([]span, error) {
	if _, err := h.Lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String(fn), ReservedConcurrentExecutions: aws.Int32(1),
	}); err != nil {
		return nil, fmt.Errorf("%w: PutFunctionConcurrency: %v", errUnsupported, err)
	}
	for i := range 6 {
		out, err := h.Lambda.Invoke(ctx, &lambda.InvokeInput{
			FunctionName: aws.String(fn), InvocationType: types.InvocationTypeEvent,
			Payload: []byte(`{"sleepMs":100,"mark":true}`),
		})
		if err != nil {
			return nil, fmt.Errorf("%w: Invoke (Event) #%d: %v", errUnsupported, i, err)
		}
		if out.StatusCode != 202 {
			return nil, fmt.Errorf("%w: Invoke (Event) answered %d, want 202", errUnsupported, out.StatusCode)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		spans, err := markedSpans(filepath.Join(h.dataDir, "logs", fn))
		if err != nil {
			return nil, err
		}
		if len(spans) >= 6 || time.Now().After(deadline) {
			return spans, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// markedSpans reads the BENCH lines and REPORT lines of every log stream
// of a function: each BENCH line is one invocation, the REPORT line after
// it says whether it was cold.
func markedSpans(dir string) ([]span, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var spans []span
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".log") {
			continue // the group's settings and the streams' time indexes
		}
		name, _ := url.PathUnescape(strings.TrimSuffix(e.Name(), ".log"))
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		pending := -1 // the span waiting for its REPORT line
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, "BENCH "); i >= 0 {
				f := strings.Fields(line[i:])
				if len(f) == 4 {
					start, _ := strconv.ParseInt(f[1], 10, 64)
					end, _ := strconv.ParseInt(f[2], 10, 64)
					spans = append(spans, span{Env: name, Start: time.Unix(0, start), End: time.Unix(0, end)})
					pending = len(spans) - 1
				}
			} else if strings.HasPrefix(line, "REPORT ") && pending >= 0 {
				if hasInit, initMs, _ := parseReport(line); hasInit {
					s := &spans[pending]
					s.Cold = true
					s.InitEnd = s.Start
					s.InitStart = s.Start.Add(-time.Duration(initMs * float64(time.Millisecond)))
				}
				pending = -1
			}
		}
		f.Close()
	}
	slices.SortFunc(spans, func(a, b span) int { return a.Start.Compare(b.Start) })
	return spans, nil
}
