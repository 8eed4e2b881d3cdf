package logs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultFlushInterval is how long output written between invocations may
// stay in memory before it reaches the file.
const DefaultFlushInterval = time.Second

// Options configures a Store.
type Options struct {
	// Dir is the root of the store, e.g. <data-dir>/logs; it is created if
	// missing. Streams live in Dir/<function>/<encoded stream name>.log.
	// Required.
	Dir string

	// FlushInterval bounds how long written output may stay buffered when
	// no REPORT line comes to flush it. Zero means DefaultFlushInterval.
	FlushInterval time.Duration

	// Now is the clock that stamps log events and decides their expiry;
	// nil means time.Now.
	Now func() time.Time

	// RetentionDays is how long events are kept in a log group without a
	// retention policy of its own; 0 keeps them forever.
	RetentionDays int

	// Logger hears once when function output starts to be lost (a full
	// disk) and once when it is written again. Default slog.Default().
	Logger *slog.Logger
}

// StreamInfo describes one stored stream.
type StreamInfo struct {
	Name      string    // the stream name given to Create
	Size      int64     // bytes in the file
	LastWrite time.Time // the file's modification time
}

// streamKey identifies a stream in a Store.
type streamKey struct{ function, stream string }

// Store holds the log streams of all functions. It is safe for concurrent
// use.
type Store struct {
	dir       string
	interval  time.Duration
	now       func() time.Time
	retention int // default retention in days; 0 = forever
	// expireMu serialises retention passes and group deletions.
	expireMu sync.Mutex

	// mu guards open.
	mu   sync.Mutex
	open map[streamKey]*Stream

	// lost counts output that could not be written.
	lost lostOutput
}

// Open opens (creating it if needed) the store rooted at opts.Dir.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, fmt.Errorf("logs: open: empty Dir")
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("logs: open %s: %w", opts.Dir, err)
	}
	interval := opts.FlushInterval
	if interval <= 0 {
		interval = DefaultFlushInterval
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Store{dir: opts.Dir, interval: interval, now: now, retention: opts.RetentionDays, open: make(map[streamKey]*Stream),
		lost: lostOutput{log: log, dir: opts.Dir}}, nil
}

// Create opens the stream for writing, creating its file or appending to it
// if it already exists (after a restart, say). A stream can be open once
// per Store at a time.
//
// The files are created by the stream's first flush, usually at the end
// of the first invocation (its REPORT line), so that neither a cold start
// nor its Init Duration waits for the disk. A file that cannot be created
// counts its output as lost, as a failed write does, and is tried again
// at the next flush.
func (s *Store) Create(function, stream string) (*Stream, error) {
	path, err := s.path(function, stream)
	if err != nil {
		return nil, err
	}
	key := streamKey{function, stream}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.open[key]; ok {
		return nil, fmt.Errorf("create %s/%s: %w", function, stream, ErrStreamOpen)
	}
	st := newStream(s, key, path, s.interval)
	s.open[key] = st
	return st, nil
}

// Streams lists the function's streams, newest write first. A function
// without logs has none.
func (s *Store) Streams(function string) ([]StreamInfo, error) {
	if !validFunction(function) {
		return nil, fmt.Errorf("streams of %q: %w", function, ErrInvalidName)
	}
	s.flushOpen(function, "")
	entries, err := os.ReadDir(filepath.Join(s.dir, function))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("streams of %s: %w", function, err)
	}
	infos := make([]StreamInfo, 0, len(entries))
	for _, e := range entries {
		name, ok := decodeStream(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		infos = append(infos, StreamInfo{Name: name, Size: fi.Size(), LastWrite: fi.ModTime()})
	}
	sort.Slice(infos, func(i, j int) bool {
		if !infos[i].LastWrite.Equal(infos[j].LastWrite) {
			return infos[i].LastWrite.After(infos[j].LastWrite)
		}
		return infos[i].Name > infos[j].Name
	})
	return infos, nil
}

// Read copies the whole stream to w, including what an open Stream still
// buffers.
func (s *Store) Read(function, stream string, w io.Writer) error {
	path, err := s.path(function, stream)
	if err != nil {
		return err
	}
	s.flushOpen(function, stream)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s/%s: %w", function, stream, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("read %s/%s: %w", function, stream, err)
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("read %s/%s: %w", function, stream, err)
	}
	return nil
}

// DeleteFunction closes the function's open streams (later writes to them
// fail with ErrClosed) and removes all its logs.
func (s *Store) DeleteFunction(function string) error {
	if !validFunction(function) {
		return fmt.Errorf("delete logs of %q: %w", function, ErrInvalidName)
	}
	for _, st := range s.openOf(function, "") {
		_ = st.Close() // the files are going away
	}
	if err := os.RemoveAll(filepath.Join(s.dir, function)); err != nil {
		return fmt.Errorf("delete logs of %s: %w", function, err)
	}
	return nil
}

// openOf returns the open streams of function (only stream, if not "").
func (s *Store) openOf(function, stream string) []*Stream {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Stream
	for k, st := range s.open {
		if k.function == function && (stream == "" || k.stream == stream) {
			out = append(out, st)
		}
	}
	return out
}

// flushOpen flushes open streams so that readers see everything written.
func (s *Store) flushOpen(function, stream string) {
	for _, st := range s.openOf(function, stream) {
		st.flush()
	}
}

// forget drops a closed stream from the open set.
func (s *Store) forget(st *Stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[st.key] == st {
		delete(s.open, st.key)
	}
}

// path validates the names and returns the stream's file path.
func (s *Store) path(function, stream string) (string, error) {
	if !validFunction(function) {
		return "", fmt.Errorf("function %q: %w", function, ErrInvalidName)
	}
	file, ok := encodeStream(stream)
	if !ok {
		return "", fmt.Errorf("stream %q: %w", stream, ErrInvalidName)
	}
	return filepath.Join(s.dir, function, file), nil
}

// validFunction accepts Lambda function names: 1 to 170 letters, digits,
// hyphens and underscores (so never "." or "..").
func validFunction(name string) bool {
	if name == "" || len(name) > 170 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !plain(name[i]) || name[i] == '.' {
			return false
		}
	}
	return true
}

// plain reports whether b appears as itself in a file name.
func plain(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
		b == '-' || b == '_' || b == '.'
}

const (
	fileSuffix  = ".log"
	maxFileName = 255
	hexDigits   = "0123456789ABCDEF"
)

// encodeStream maps a stream name to a file name: bytes other than
// [A-Za-z0-9._-], a leading dot and '%' itself become %XX; ".log" is
// appended.
func encodeStream(name string) (string, bool) {
	if name == "" {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if plain(c) && !(i == 0 && c == '.') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	b.WriteString(fileSuffix)
	if b.Len() > maxFileName {
		return "", false
	}
	return b.String(), true
}

// decodeStream reverses encodeStream; ok is false for files it did not
// make.
func decodeStream(file string) (string, bool) {
	enc, ok := strings.CutSuffix(file, fileSuffix)
	if !ok || enc == "" {
		return "", false
	}
	out := make([]byte, 0, len(enc))
	for i := 0; i < len(enc); i++ {
		c := enc[i]
		if c != '%' {
			out = append(out, c)
			continue
		}
		if i+2 >= len(enc) {
			return "", false
		}
		hi, lo := unhex(enc[i+1]), unhex(enc[i+2])
		if hi < 0 || lo < 0 {
			return "", false
		}
		out = append(out, byte(hi<<4|lo))
		i += 2
	}
	return string(out), true
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
