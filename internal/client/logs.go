package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"time"
)

// DefaultPollInterval is how often Logs looks for new output when it
// follows.
const DefaultPollInterval = 500 * time.Millisecond

// LogOptions says what Logs shows.
type LogOptions struct {
	// Stream selects one log stream; empty means all of the function's
	// streams, oldest first, each introduced by a "==> NAME <==" line.
	Stream string
	// Follow keeps polling for new output until the context ends.
	Follow bool
	// Interval is the time between polls. Zero means DefaultPollInterval.
	Interval time.Duration
	// Since, when not zero, leaves out streams last written before it.
	Since time.Time
	// Lines, when positive, shows only the last Lines lines of each
	// stream's output so far (new output when following is all shown).
	Lines int
}

// Logs writes a function's logs to w. When following, it polls every
// opts.Interval, fetching only what each stream gained since the last poll
// and holding back an unfinished last line until it is complete; it
// returns nil when ctx ends.
func (c *Client) Logs(ctx context.Context, function string, opts LogOptions, w io.Writer) error {
	if opts.Interval <= 0 {
		opts.Interval = DefaultPollInterval
	}
	t := &tail{c: c, function: function, opts: opts, w: w, offsets: map[string]int64{}, first: true}
	if err := t.poll(ctx); err != nil || !opts.Follow {
		return err
	}
	t.first = false
	tick := time.NewTicker(opts.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if err := t.poll(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// tail is the state of one Logs call.
type tail struct {
	c        *Client
	function string
	opts     LogOptions
	w        io.Writer
	offsets  map[string]int64 // stream -> bytes written out so far
	last     string           // the stream whose text was written last
	first    bool             // the first poll: Lines applies
}

// poll writes what is new in the streams.
func (t *tail) poll(ctx context.Context) error {
	if t.opts.Stream != "" {
		return t.read(ctx, t.opts.Stream)
	}
	streams, err := t.c.Streams(ctx, t.function)
	if err != nil {
		return err
	}
	slices.Reverse(streams) // oldest first
	for _, s := range streams {
		if s.Size <= t.offsets[s.Name] || s.LastWrite.Before(t.opts.Since) {
			continue
		}
		if err := t.read(ctx, s.Name); err != nil {
			return err
		}
	}
	return nil
}

func (t *tail) read(ctx context.Context, stream string) error {
	text, err := t.c.ReadStream(ctx, t.function, stream, t.offsets[stream])
	if err != nil {
		return err
	}
	if t.opts.Follow {
		// Only whole lines, so that streams never interleave mid-line.
		text = text[:bytes.LastIndexByte(text, '\n')+1]
	}
	if len(text) == 0 {
		return nil
	}
	full := len(text)
	if t.first && t.opts.Lines > 0 {
		text = lastLines(text, t.opts.Lines)
	}
	if t.opts.Stream == "" && stream != t.last {
		if t.last != "" {
			if _, err := io.WriteString(t.w, "\n"); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintf(t.w, "==> %s <==\n", stream); err != nil {
			return err
		}
	}
	t.last = stream
	if _, err := t.w.Write(text); err != nil {
		return err
	}
	t.offsets[stream] += int64(full)
	return nil
}

// lastLines returns the last n lines of text.
func lastLines(text []byte, n int) []byte {
	end := len(text)
	if end > 0 && text[end-1] == '\n' {
		end--
	}
	for i := end - 1; i >= 0; i-- {
		if text[i] == '\n' {
			n--
			if n == 0 {
				return text[i+1:]
			}
		}
	}
	return text
}
