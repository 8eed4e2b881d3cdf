package logs

import (
	"log/slog"
	"sync"
	"sync/atomic"
)

// lostOutput counts function output that could not be written (a full
// disk, most often) and says so in Hearth's log once when writes start
// failing and once when they work again, not once per failed write.
type lostOutput struct {
	log *slog.Logger
	dir string

	bytes   atomic.Int64
	failing atomic.Bool // set while writes fail; checked on every flush

	mu sync.Mutex // serialises the two reports
}

// lost records n bytes of function's output that were dropped.
func (l *lostOutput) lost(function string, n int, err error) {
	l.bytes.Add(int64(n))
	if l.failing.Load() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failing.Swap(true) {
		return
	}
	l.log.Error("function log output cannot be written and is dropped until writes work again; the bytes are counted in hearth_function_log_bytes_lost_total",
		"data_dir", l.dir, "function", function, "err", err)
}

// written notes a successful write, reporting the end of a failing spell.
func (l *lostOutput) written() {
	if !l.failing.Load() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failing.Swap(false) {
		l.log.Info("function log output is written again", "data_dir", l.dir, "lost_bytes_total", l.bytes.Load())
	}
}

// LostBytes is how many bytes of function output could not be written
// since the store was opened.
func (s *Store) LostBytes() int64 { return s.lost.bytes.Load() }
