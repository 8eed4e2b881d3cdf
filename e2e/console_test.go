package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser starts headless Chromium (Debian's chromium package) with a
// fresh profile and returns a chromedp context for one tab.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is needed (.ci/run installs Debian's chromium package): %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // Chromium's sandbox refuses to run as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}

// timelineState is what the console's timeline shows for one function.
type timelineState struct {
	Lanes   int   `json:"lanes"`
	Inits   []int `json:"inits"`   // init blocks per lane
	Invokes int   `json:"invokes"` // ended invocations
	Mark    int   `json:"mark"`    // survives only without a reload
	Live    bool  `json:"live"`
}

const timelineJS = `(() => {
  const lanes = [...document.querySelectorAll(".lane[data-env]")].filter((l) => l.querySelector(".lane-label b").textContent === %q);
  return JSON.stringify({
    lanes: lanes.length,
    inits: lanes.map((l) => l.querySelectorAll(".block.init").length),
    invokes: lanes.reduce((n, l) => n + l.querySelectorAll(".block.invoke:not(.running)").length, 0),
    mark: window.__mark || 0,
    live: document.body.dataset.live === "1",
  });
})()`

func readTimeline(ctx context.Context, function string) (timelineState, error) {
	var st timelineState
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(timelineJS, function)))
	if err != nil {
		return st, err
	}
	err = json.Unmarshal([]byte(raw), &st)
	return st, err
}

// TestConsoleTimeline signs in through `hearth console`'s one-time URL,
// then invokes a function three times at once and once more, and checks
// that the open page draws, without a reload, three lanes with one Init
// each and four invocations.
func TestConsoleTimeline(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	createFunction(t, c, "lanes", runtimeCases[1])
	r := runCLI(t, cliEnv(t, h), "console")
	loginURL := strings.TrimSpace(r.stdout)
	if r.code != 0 || !strings.HasPrefix(loginURL, h.endpoint()+"/console/login?token=") {
		t.Fatalf("hearth console: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	ctx := browser(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(loginURL),
		chromedp.WaitVisible("#lanes"),
	); err != nil {
		t.Fatalf("open the console: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__mark = 42`)); err != nil {
		t.Fatalf("open the console: %v", err)
	}
	waitTimeline(t, ctx, "the event stream to connect", func(st timelineState) bool { return st.Live })

	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			invoke(t, c, "lanes", map[string]any{"action": "sleep", "sleepMs": 1500})
		}()
	}
	wg.Wait()
	invoke(t, c, "lanes", map[string]any{"action": "echo"})

	st := waitTimeline(t, ctx, "3 lanes, 4 invocations", func(st timelineState) bool {
		return st.Lanes == 3 && st.Invokes == 4
	})
	for i, n := range st.Inits {
		if n != 1 {
			t.Errorf("lane %d shows %d inits, want 1", i, n)
		}
	}
	if st.Mark != 42 {
		t.Errorf("the page was reloaded (mark %d)", st.Mark)
	}
	// The functions view follows: four invocations, three cold starts.
	var row string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		row, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const r = document.querySelector('#functions tr[data-function="lanes"]'); return r ? [...r.cells].map((c) => c.textContent).join("|") : ""; })()`))
		if strings.HasPrefix(row, "lanes|$LATEST|4|0|0|") && strings.Contains(row, "|3 (75%)|") {
			break
		}
	}
	if !strings.HasPrefix(row, "lanes|$LATEST|4|0|0|") || !strings.Contains(row, "|3 (75%)|") {
		t.Errorf("functions view row: %q", row)
	}
	// The log view shows the selected function's newest stream.
	var logText string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		logText, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("log").textContent + "|" + document.getElementById("stream").options.length`))
		if strings.Contains(logText, "REPORT RequestId: ") && strings.HasSuffix(logText, "|3") {
			break
		}
	}
	if !strings.Contains(logText, "REPORT RequestId: ") || !strings.HasSuffix(logText, "|3") {
		t.Errorf("log view (text|streams): %q", logText)
	}
	time.Sleep(time.Second) // let frozen time show in the picture
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	out := filepath.Join(t.TempDir(), "console.png")
	if p := os.Getenv("HEARTH_CONSOLE_SCREENSHOT"); p != "" {
		out = p
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", out)
	// Hearth stops promptly while the page still holds its event stream.
	begin := time.Now()
	h.stop()
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("stopping with the console open took %v", d)
	}
}

// waitTimeline polls the page until cond holds (at most 20 s).
func waitTimeline(t *testing.T, ctx context.Context, what string, cond func(timelineState) bool) timelineState {
	t.Helper()
	var st timelineState
	var err error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if st, err = readTimeline(ctx, "lanes"); err == nil && cond(st) {
			return st
		}
	}
	t.Fatalf("waiting for %s: timeline %+v, err %v", what, st, err)
	return st
}
