package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-run/hearth/internal/activity"
)

// heartbeat keeps idle event streams open through proxies.
const heartbeat = 15 * time.Second

// events streams activity as Server-Sent Events: first the kept history
// after the Last-Event-ID (or ?after=), then each event as it happens.
// It is one loop on purpose: the subscription, the buffer and the last ID
// sent belong to this one request.
func (c *Console) events(w http.ResponseWriter, r *http.Request) {
	after, _ := strconv.ParseUint(cmpOr(r.Header.Get("Last-Event-ID"), r.URL.Query().Get("after")), 10, 64)
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives any write timeout
	// Subscribe before reading the history, so that nothing falls between
	// the two; events seen in both are sent once.
	sub := c.opts.Events.Subscribe(1024)
	defer sub.Close()
	c.wg.Add(1)
	defer c.wg.Done()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	last := after
	var buf bytes.Buffer
	send := func(ev activity.Event) {
		if ev.Seq <= last {
			return
		}
		last = ev.Seq
		b, _ := json.Marshal(ev)
		fmt.Fprintf(&buf, "id: %d\ndata: %s\n\n", ev.Seq, b)
	}
	for _, ev := range c.opts.Events.Recent(after) {
		send(ev)
	}
	buf.WriteString(": live\n\n")
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		if buf.Len() > 0 {
			if _, err := w.Write(buf.Bytes()); err != nil {
				return
			}
			buf.Reset()
			if rc.Flush() != nil {
				return
			}
		}
		if sub.Missed() > 0 {
			// The page fell behind and the subscription dropped events.
			// Ending the stream makes the browser reconnect with the last
			// ID it saw, and the history fills the gap.
			return
		}
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				return
			}
			send(ev)
			// Take whatever else is waiting, so a burst is one write.
			for more := true; more; {
				select {
				case ev, ok := <-sub.Events():
					if !ok {
						return
					}
					send(ev)
				default:
					more = false
				}
			}
		case <-tick.C:
			buf.WriteString(": ping\n\n")
		case <-r.Context().Done():
			return
		case <-c.done:
			return
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// functionView is one function in the functions view.
type functionView struct {
	Function
	Series []Summary `json:"series"`
}

// functions serves the functions view over ?window= (5m or 1h).
func (c *Console) functions(w http.ResponseWriter, r *http.Request) {
	window := 5 * time.Minute
	if r.URL.Query().Get("window") == "1h" {
		window = time.Hour
	}
	byName := map[string]*functionView{}
	var order []string
	if c.opts.Catalog != nil {
		fns, err := c.opts.Catalog.Functions()
		if err != nil {
			writeJSONError(w, http.StatusInternalServerError, err.Error())
			return
		}
		for _, f := range fns {
			byName[f.Name] = &functionView{Function: f}
			order = append(order, f.Name)
		}
	}
	for _, s := range c.stats.summaries(window) {
		v := byName[s.Function]
		if v == nil {
			v = &functionView{Function: Function{Name: s.Function}}
			byName[s.Function] = v
			order = append(order, s.Function)
		}
		v.Series = append(v.Series, s)
	}
	out := make([]*functionView, 0, len(order))
	for _, name := range order {
		out = append(out, byName[name])
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"window": window.String(), "functions": out})
}

// maxLogRead bounds how much of a stream the log view reads.
const maxLogRead = 64 << 10

// tailBuffer keeps the last maxLogRead bytes written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if over := len(t.b) - maxLogRead; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

// logLines serves the last lines of a function's newest log stream, or of
// ?stream=.
func (c *Console) logLines(w http.ResponseWriter, r *http.Request) {
	fn, stream := r.URL.Query().Get("function"), r.URL.Query().Get("stream")
	n, err := strconv.Atoi(r.URL.Query().Get("lines"))
	if err != nil || n <= 0 || n > 500 {
		n = 50
	}
	out := map[string]any{"function": fn, "stream": stream, "lines": []string{}}
	if c.opts.Logs != nil && fn != "" {
		var streams []string
		if infos, err := c.opts.Logs.Streams(fn); err == nil {
			for _, in := range infos {
				streams = append(streams, in.Name)
			}
		}
		out["streams"] = streams
		if stream == "" && len(streams) > 0 {
			stream = streams[0]
		}
		var tb tailBuffer
		if stream != "" && c.opts.Logs.Read(fn, stream, &tb) == nil {
			lines := strings.Split(strings.TrimRight(string(tb.b), "\n"), "\n")
			out["stream"], out["lines"] = stream, lines[max(len(lines)-n, 0):]
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}
