package main

import (
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// span is one invocation on the timeline: its Init (zero when warm) and
// its Invoke, in one environment.
type span struct {
	Env              string
	InitStart        time.Time // zero when the invocation was warm
	InitEnd          time.Time
	Start, End       time.Time
	Cold             bool
	ProvisionedInit  time.Time // a provisioned environment's init, before the invocation
	InitType, Detail string
}

// spanOf places a synchronous invocation from client-side times and the
// REPORT line: the Invoke ends when the answer arrived and lasted Duration;
// Init, when there was one, ended where the Invoke began.
func spanOf(c call) span {
	s := span{Env: c.Stream, End: c.End, Cold: c.HasInit, InitType: c.InitType}
	s.Start = c.End.Add(-time.Duration(c.DurationMs * float64(time.Millisecond)))
	if s.Start.Before(c.Start) {
		s.Start = c.Start
	}
	if c.HasInit {
		s.InitEnd = s.Start
		s.InitStart = s.Start.Add(-time.Duration(c.InitMs * float64(time.Millisecond)))
	} else if c.InitType == "provisioned-concurrency" && c.InitAt > 0 {
		s.ProvisionedInit = time.Unix(0, c.InitAt)
	}
	return s
}

// envOrder returns the environments in order of first appearance.
func envOrder(spans []span) []string {
	var order []string
	seen := map[string]bool{}
	for _, s := range spans {
		if !seen[s.Env] {
			seen[s.Env] = true
			order = append(order, s.Env)
		}
	}
	return order
}

// writeTimeline draws one row per environment with its Init (orange) and
// Invoke (blue) segments on a shared time axis, in the manner of the
// diagrams of Lambda's documentation, and returns the file written.
func writeTimeline(dir, name, title string, spans []span) (string, error) {
	if dir == "" || len(spans) == 0 {
		return "", nil
	}
	t0, t1 := spans[0].Start, spans[0].End
	for _, s := range spans {
		for _, t := range []time.Time{s.InitStart, s.Start} {
			if !t.IsZero() && t.Before(t0) {
				t0 = t
			}
		}
		if s.End.After(t1) {
			t1 = s.End
		}
	}
	const left, right, top, rowH, width = 150.0, 20.0, 56.0, 30.0, 860.0
	span := msOf(t1.Sub(t0))
	tick := niceTick(span / 6)
	axisEnd := math.Ceil(span/tick) * tick
	if axisEnd == 0 {
		axisEnd = 1
	}
	x := func(t time.Time) float64 { return left + (width-left-right)*msOf(t.Sub(t0))/axisEnd }
	envs := envOrder(spans)
	row := map[string]int{}
	for i, e := range envs {
		row[e] = i
	}
	height := top + rowH*float64(len(envs)) + 50
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="10" y="20" font-size="14" font-weight="bold">%s</text>`+"\n", html.EscapeString(title))
	fmt.Fprintf(&b, `<rect x="%.0f" y="30" width="12" height="10" fill="#f0a030"/><text x="%.0f" y="39">Init</text>`, width-210, width-194)
	fmt.Fprintf(&b, `<rect x="%.0f" y="30" width="12" height="10" fill="#3070c0"/><text x="%.0f" y="39">Invoke</text>`+"\n", width-150, width-134)
	for i, e := range envs {
		y := top + rowH*float64(i)
		label := fmt.Sprintf("environment %d", i+1)
		if j := strings.LastIndexByte(e, ']'); j >= 0 && len(e) > j+7 {
			label += " (" + e[j+1:j+7] + ")"
		}
		fmt.Fprintf(&b, `<text x="10" y="%.0f">%s</text><line x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f" stroke="#ddd"/>`+"\n",
			y+rowH/2+4, html.EscapeString(label), left, width-right, y+rowH-2, y+rowH-2)
	}
	for _, s := range spans {
		y := top + rowH*float64(row[s.Env]) + 5
		if !s.InitStart.IsZero() {
			fmt.Fprintf(&b, `<rect x="%.2f" y="%.0f" width="%.2f" height="%.0f" fill="#f0a030"><title>Init %s ms</title></rect>`+"\n",
				x(s.InitStart), y, math.Max(x(s.InitEnd)-x(s.InitStart), 1), rowH-12, fmtDur(s.InitEnd.Sub(s.InitStart)))
		}
		if !s.ProvisionedInit.IsZero() && !s.ProvisionedInit.Before(t0) {
			fmt.Fprintf(&b, `<rect x="%.2f" y="%.0f" width="2" height="%.0f" fill="#f0a030"><title>provisioned init</title></rect>`+"\n",
				x(s.ProvisionedInit), y, rowH-12)
		}
		fmt.Fprintf(&b, `<rect x="%.2f" y="%.0f" width="%.2f" height="%.0f" fill="#3070c0"><title>Invoke %s ms%s</title></rect>`+"\n",
			x(s.Start), y, math.Max(x(s.End)-x(s.Start), 1), rowH-12, fmtDur(s.End.Sub(s.Start)), html.EscapeString(s.Detail))
	}
	axisY := top + rowH*float64(len(envs)) + 4
	fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f" stroke="black"/>`+"\n", left, width-right, axisY, axisY)
	for v := 0.0; v <= axisEnd+tick/2; v += tick {
		px := left + (width-left-right)*v/axisEnd
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f" stroke="black"/><text x="%.1f" y="%.0f" text-anchor="middle">%s</text>`+"\n",
			px, px, axisY, axisY+5, px, axisY+18, strings.TrimSuffix(fmt.Sprintf("%g", v), ".0"))
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">time since the first request (ms)</text>`+"\n", (left+width)/2, axisY+36)
	b.WriteString("</svg>\n")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "timeline-"+name+".svg")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// niceTick rounds a tick interval to 1, 2 or 5 times a power of ten.
func niceTick(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}
