package logs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Event is one log event as the CloudWatch Logs API shows it: one line of
// a stream, with the time it was written.
type Event struct {
	Time    time.Time // to the millisecond
	Message string    // the line, with its newline
	offset  int64     // where the line starts in the stream file
}

// StreamDetail describes a stream for DescribeLogStreams.
type StreamDetail struct {
	Name        string
	Size        int64
	FirstEvent  time.Time // zero for an empty stream
	LastEvent   time.Time
	LastWritten time.Time // the file's modification time
}

// Group describes the log group of a function.
type Group struct {
	Function      string
	Created       time.Time
	RetentionDays int // 0 = the group has no policy of its own
	StoredBytes   int64
}

// groupFile holds a log group's creation time and retention policy.
const groupFile = "group.json"

type groupMeta struct {
	Created       time.Time `json:"created"`
	RetentionDays int       `json:"retentionDays,omitempty"`
}

// openIndex opens the stream's index file and notes the stream file's
// size; the group's metadata file is written on its first stream.
func (s *Store) openIndex(st *Stream, path string) {
	if fi, err := os.Stat(path); err == nil {
		st.ix.size = fi.Size()
	}
	if f, err := os.OpenFile(path+indexSuffix, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
		st.ix.file = f
	}
	meta := filepath.Join(filepath.Dir(path), groupFile)
	if _, err := os.Stat(meta); errors.Is(err, fs.ErrNotExist) {
		_ = writeGroupMeta(meta, groupMeta{Created: s.now().UTC()})
	}
}

// Events returns the events of a stream in the order they were written.
func (s *Store) Events(function, stream string) ([]Event, error) {
	path, err := s.path(function, stream)
	if err != nil {
		return nil, err
	}
	s.flushOpen(function, stream)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("events of %s/%s: %w", function, stream, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("events of %s/%s: %w", function, stream, err)
	}
	var fallback time.Time
	if fi, err := os.Stat(path); err == nil {
		fallback = fi.ModTime()
	}
	return splitEvents(data, readMarks(path+indexSuffix), fallback), nil
}

// splitEvents cuts data into lines and stamps each with the last mark at
// or before its first byte (fallback when there is none).
func splitEvents(data []byte, marks []mark, fallback time.Time) []Event {
	var out []Event
	m := -1
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += off + 1
		}
		for m+1 < len(marks) && marks[m+1].off <= int64(off) {
			m++
		}
		t := fallback.Truncate(time.Millisecond)
		if m >= 0 {
			t = time.UnixMilli(marks[m].ms)
		}
		out = append(out, Event{Time: t, Message: string(data[off:end]), offset: int64(off)})
		off = end
	}
	return out
}

// StreamDetails lists a function's streams with their first and last
// event times, newest write first.
func (s *Store) StreamDetails(function string) ([]StreamDetail, error) {
	infos, err := s.Streams(function)
	if err != nil {
		return nil, err
	}
	out := make([]StreamDetail, 0, len(infos))
	for _, in := range infos {
		d := StreamDetail{Name: in.Name, Size: in.Size, LastWritten: in.LastWrite}
		path, _ := s.path(function, in.Name)
		if marks := readMarks(path + indexSuffix); len(marks) > 0 {
			d.FirstEvent, d.LastEvent = time.UnixMilli(marks[0].ms), time.UnixMilli(marks[len(marks)-1].ms)
		} else if in.Size > 0 {
			d.FirstEvent, d.LastEvent = in.LastWrite, in.LastWrite
		}
		out = append(out, d)
	}
	return out, nil
}

// Groups lists the log groups: one per function that has written logs,
// also after the function was deleted, in function name order.
func (s *Store) Groups() ([]Group, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("log groups: %w", err)
	}
	var out []Group
	for _, e := range entries {
		if !e.IsDir() || !validFunction(e.Name()) {
			continue
		}
		if g, err := s.Group(e.Name()); err == nil {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Function < out[j].Function })
	return out, nil
}

// Group describes the log group of one function; ErrNotFound when it has
// none.
func (s *Store) Group(function string) (Group, error) {
	if !validFunction(function) {
		return Group{}, fmt.Errorf("log group of %q: %w", function, ErrInvalidName)
	}
	dir := filepath.Join(s.dir, function)
	fi, err := os.Stat(dir)
	if err != nil {
		return Group{}, fmt.Errorf("log group of %s: %w", function, ErrNotFound)
	}
	meta, _ := readGroupMeta(filepath.Join(dir, groupFile))
	g := Group{Function: function, Created: meta.Created, RetentionDays: meta.RetentionDays}
	if g.Created.IsZero() {
		g.Created = fi.ModTime()
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if _, ok := decodeStream(e.Name()); ok {
			if fi, err := e.Info(); err == nil {
				g.StoredBytes += fi.Size()
			}
		}
	}
	return g, nil
}

func readGroupMeta(path string) (groupMeta, error) {
	var m groupMeta
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	return m, json.Unmarshal(b, &m)
}

// writeGroupMeta replaces the metadata file atomically.
func writeGroupMeta(path string, m groupMeta) error {
	b, _ := json.Marshal(m)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
