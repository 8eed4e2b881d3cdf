package main

import (
	"fmt"
	"slices"
	"time"
)

// dist is a set of latency samples.
type dist []time.Duration

// pct returns the p-th percentile (0 < p <= 100), nearest rank.
func (d dist) pct(p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func latencies(calls []call) dist {
	d := make(dist, 0, len(calls))
	for _, c := range calls {
		if c.Err == nil {
			d = append(d, c.Latency())
		}
	}
	return d
}

// msOf turns a duration into fractional milliseconds.
func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// fmtMs prints milliseconds with a precision that suits the size.
func fmtMs(ms float64) string {
	switch {
	case ms < 10:
		return fmt.Sprintf("%.3f", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f", ms)
	default:
		return fmt.Sprintf("%.0f", ms)
	}
}

func fmtDur(d time.Duration) string { return fmtMs(msOf(d)) }

// pctF returns the p-th percentile of float samples.
func pctF(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}
