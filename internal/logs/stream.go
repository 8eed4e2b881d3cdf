package logs

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

const (
	// TailBytes is how much of an invocation's log Tail returns: Lambda's
	// LogType=Tail gives the last 4 KB.
	TailBytes = 4096

	// flushThreshold makes a chatty writer flush without waiting for the
	// REPORT line or the timer.
	flushThreshold = 64 << 10

	// maxKeptBuffer bounds the buffers kept for reuse after a flush.
	maxKeptBuffer = 1 << 20
)

// Stream is one log stream: the output of one execution environment and the
// START/END/REPORT lines of its invocations. It is safe for concurrent use.
type Stream struct {
	store    *Store
	key      streamKey
	interval time.Duration

	// mu guards buf, tail, inInvocation, keepInit, armed and closed.
	mu  sync.Mutex
	buf []byte // written, not yet flushed
	// tail holds the current invocation's bytes since its START line; it
	// is compacted to its last TailBytes when it reaches twice that.
	tail         []byte
	inInvocation bool // between Start (or BeginInit) and Report: writes also go to tail
	// keepInit says the tail holds a failed Init, which the next Start
	// keeps: the triggering request's tail shows why it failed.
	keepInit bool
	armed    bool // timer is pending
	closed   bool
	// format is how platform lines are written (SetFormat); ended says
	// End was called for the invocation whose Report comes next.
	format Format
	ended  bool

	// fmu serialises flushes (so buffers reach the file in order) and
	// guards file, spare and flushErr.
	fmu      sync.Mutex
	path     string   // the stream's file
	file     *os.File // nil until the first flush creates it (openFile)
	spare    []byte   // the buffer not in use, swapped with buf at a flush
	flushErr error    // the first failed write, reported by Close

	timer *time.Timer // flushes buffered output after interval

	// ix keeps the times of the output for the index file (index.go).
	ix index
}

func newStream(store *Store, key streamKey, path string, interval time.Duration) *Stream {
	st := &Stream{store: store, key: key, path: path, interval: interval}
	st.ix.now = store.now
	st.timer = time.AfterFunc(time.Hour, st.timerFlush)
	st.timer.Stop()
	return st
}

// Name returns the stream's name as given to Create.
func (st *Stream) Name() string { return st.key.stream }

// Write appends raw output of the environment (its stdout and stderr).
// It never blocks on the disk unless 64 KiB are buffered.
func (st *Stream) Write(p []byte) (int, error) {
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return 0, fmt.Errorf("write to %s/%s: %w", st.key.function, st.key.stream, ErrClosed)
	}
	st.buf = append(st.buf, p...)
	if st.inInvocation {
		st.appendTail(p)
	}
	full := st.afterWrite()
	st.mu.Unlock()
	if full {
		st.flush()
	}
	return len(p), nil
}

// SetFormat sets how the stream writes its platform lines: text (the zero
// Format) or, as Lambda does for a function whose LoggingConfig has
// LogFormat JSON, JSON objects filtered by the system log level. Call it
// before the first line.
func (st *Stream) SetFormat(f Format) {
	st.mu.Lock()
	st.format = f
	st.mu.Unlock()
}

// Start writes "START RequestId: <id> Version: <version>" (or
// platform.start) and begins a new tail.
func (st *Stream) Start(requestID, version string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return
	}
	n := len(st.buf)
	if st.format.JSON {
		if st.format.writes(TypeStart) {
			st.buf = AppendStartJSON(st.buf, time.Now(), requestID, version)
		}
	} else {
		st.buf = AppendStart(st.buf, requestID, version)
	}
	st.ended = false
	if !st.keepInit {
		st.tail = st.tail[:0]
	}
	st.keepInit = false
	st.inInvocation = true
	st.appendTail(st.buf[n:])
	st.afterWrite()
}

// BeginInit starts a tail at the start of an Init: the output of an Init
// that fails goes into the tail of the request that triggered it. A
// successful Init's output does not (Start begins a new tail).
func (st *Stream) BeginInit() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.tail = st.tail[:0]
	st.inInvocation = true
	st.keepInit = false
}

// InitFailed writes the INIT_REPORT line of a failed Init and keeps the
// tail so far for the next Start.
func (st *Stream) InitFailed(r InitReport) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return
	}
	n := len(st.buf)
	if st.format.JSON {
		if st.format.writes(TypeInitReport) {
			st.buf = AppendInitReportJSON(st.buf, time.Now(), r)
		}
	} else {
		st.buf = AppendInitReport(st.buf, r)
	}
	st.line(n)
	st.keepInit = true
}

// End writes "END RequestId: <id>". In JSON format its counterpart,
// platform.runtimeDone, carries the invocation's status, so Report writes
// it just before platform.report.
func (st *Stream) End(requestID string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return
	}
	if st.format.JSON {
		st.ended = true
		return
	}
	n := len(st.buf)
	st.buf = AppendEnd(st.buf, requestID)
	st.line(n)
}

// TimedOut writes Lambda's "<time> <id> Task timed out after N.NN seconds"
// line, stamped now.
func (st *Stream) TimedOut(requestID string, after time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return
	}
	n := len(st.buf)
	st.buf = AppendTimeout(st.buf, time.Now(), requestID, after)
	st.line(n)
}

// Report writes the REPORT line (in JSON format platform.runtimeDone, if
// End was called, and platform.report, as the level allows), ends the invocation's tail and flushes the
// stream to its file.
func (st *Stream) Report(r Report) {
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return
	}
	n := len(st.buf)
	if st.format.JSON {
		now := time.Now()
		if st.ended && st.format.writes(TypeRuntimeDone) {
			st.buf = AppendRuntimeDoneJSON(st.buf, now, r)
		}
		if st.format.writes(TypeReport) {
			st.buf = AppendReportJSON(st.buf, now, r)
		}
	} else {
		st.buf = AppendReport(st.buf, r)
	}
	st.ended = false
	if st.inInvocation {
		st.appendTail(st.buf[n:])
	}
	st.inInvocation = false
	st.mu.Unlock()
	st.flush()
}

// Flush writes what is buffered to the stream's file now. After Close it
// does nothing.
func (st *Stream) Flush() {
	st.mu.Lock()
	closed := st.closed
	st.mu.Unlock()
	if !closed {
		st.flush()
	}
}

// Tail returns a copy of the current or just-ended invocation's log, from
// its START line through its REPORT line, at most the last TailBytes bytes.
func (st *Stream) Tail() []byte {
	st.mu.Lock()
	defer st.mu.Unlock()
	t := st.tail
	if len(t) > TailBytes {
		t = t[len(t)-TailBytes:]
	}
	return append([]byte(nil), t...)
}

// Close flushes what is buffered, closes the file and forgets the stream in
// its Store. It returns the first error met writing the file, if any.
// Later calls do nothing.
func (st *Stream) Close() error {
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return nil
	}
	st.closed = true
	st.mu.Unlock()
	st.timer.Stop()
	st.flush()
	st.store.forget(st)

	st.fmu.Lock()
	defer st.fmu.Unlock()
	var err error
	if st.file != nil {
		err = st.file.Close()
	}
	if st.ix.file != nil {
		st.ix.file.Close()
	}
	if st.flushErr != nil {
		err = st.flushErr
	}
	if err != nil {
		return fmt.Errorf("close %s/%s: %w", st.key.function, st.key.stream, err)
	}
	return nil
}

// openFile creates the stream's directory and file (or opens it to
// append) and its index. Called with fmu held; the first error is kept
// for Close.
func (st *Stream) openFile() error {
	err := os.MkdirAll(filepath.Dir(st.path), 0o755)
	var f *os.File
	if err == nil {
		f, err = os.OpenFile(st.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	}
	if err != nil {
		err = fmt.Errorf("create %s/%s: %w", st.key.function, st.key.stream, err)
		if st.flushErr == nil {
			st.flushErr = err
		}
		return err
	}
	st.file = f
	st.store.openIndex(st, st.path)
	return nil
}

// line records a platform line written at st.buf[n:]. Called with mu held.
func (st *Stream) line(n int) {
	if st.inInvocation {
		st.appendTail(st.buf[n:])
	}
	st.afterWrite()
}

// appendTail adds p to the tail, keeping it bounded. Called with mu held.
func (st *Stream) appendTail(p []byte) {
	if len(p) >= TailBytes {
		st.tail = append(st.tail[:0], p[len(p)-TailBytes:]...)
		return
	}
	if len(st.tail)+len(p) > 2*TailBytes {
		keep := st.tail[len(st.tail)-(TailBytes-len(p)):]
		st.tail = st.tail[:copy(st.tail, keep)]
	}
	st.tail = append(st.tail, p...)
}

// afterWrite arms the flush timer and reports whether the buffer is due
// for a flush now. Called with mu held.
func (st *Stream) afterWrite() (full bool) {
	st.ix.note(len(st.buf))
	if !st.armed {
		st.armed = true
		st.timer.Reset(st.interval)
	}
	return len(st.buf) >= flushThreshold
}

func (st *Stream) timerFlush() {
	st.mu.Lock()
	st.armed = false
	st.mu.Unlock()
	st.flush()
}

// flush writes the buffered bytes to the file. Writers are held up only
// for the buffer swap, not for the write.
func (st *Stream) flush() {
	st.fmu.Lock()
	defer st.fmu.Unlock()
	st.mu.Lock()
	st.ix.note(len(st.buf))
	out := st.buf
	st.buf = st.spare[:0]
	marks := st.ix.take()
	st.mu.Unlock()
	if len(out) > 0 && st.file == nil {
		if err := st.openFile(); err != nil {
			st.store.lost.lost(st.key.function, len(out), err)
			out = out[:0]
		}
	}
	if len(out) > 0 {
		if n, err := st.file.Write(out); err != nil {
			if st.flushErr == nil {
				st.flushErr = err
			}
			st.store.lost.lost(st.key.function, len(out)-n, err)
		} else {
			st.store.lost.written()
		}
	}
	st.ix.written(marks, len(out))
	if cap(out) > maxKeptBuffer {
		out = nil
	}
	st.spare = out[:0]
}
