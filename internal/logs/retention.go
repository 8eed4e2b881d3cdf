package logs

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// PutRetention sets how many days the events of a function's log group
// are kept; days 0 removes the group's own policy, so that the store's
// default applies.
func (s *Store) PutRetention(function string, days int) error {
	if _, err := s.Group(function); err != nil {
		return err
	}
	path := filepath.Join(s.dir, function, groupFile)
	meta, _ := readGroupMeta(path)
	if meta.Created.IsZero() {
		meta.Created = s.now().UTC()
	}
	meta.RetentionDays = days
	if err := writeGroupMeta(path, meta); err != nil {
		return fmt.Errorf("retention of %s: %w", function, err)
	}
	return nil
}

// DeleteGroup removes a function's log group: every stream's events. A
// stream still open for an environment stays usable and starts empty, as
// Lambda creates the group again on the next write.
func (s *Store) DeleteGroup(function string) error {
	if _, err := s.Group(function); err != nil {
		return err
	}
	s.expireMu.Lock()
	defer s.expireMu.Unlock()
	infos, err := s.Streams(function)
	if err != nil {
		return err
	}
	for _, in := range infos {
		if err := s.dropStream(function, in.Name); err != nil {
			return err
		}
	}
	open := len(s.openOf(function, "")) > 0
	if !open {
		if err := os.RemoveAll(filepath.Join(s.dir, function)); err != nil {
			return fmt.Errorf("delete log group %s: %w", function, err)
		}
	}
	return nil
}

// DeleteStream removes one stream's events.
func (s *Store) DeleteStream(function, stream string) error {
	path, err := s.path(function, stream)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s/%s: %w", function, stream, ErrNotFound)
	}
	s.expireMu.Lock()
	defer s.expireMu.Unlock()
	return s.dropStream(function, stream)
}

// dropStream empties an open stream and removes a closed one.
func (s *Store) dropStream(function, stream string) error {
	path, _ := s.path(function, stream)
	if sts := s.openOf(function, stream); len(sts) > 0 {
		return sts[0].keepFrom(path, -1)
	}
	for _, p := range []string{path, path + indexSuffix} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete %s/%s: %w", function, stream, err)
		}
	}
	return nil
}

// Expire removes the events older than their group's retention (the
// store's default for groups without a policy), and streams left empty.
// It returns how many events it removed.
func (s *Store) Expire() (int, error) {
	s.expireMu.Lock()
	defer s.expireMu.Unlock()
	groups, err := s.Groups()
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, g := range groups {
		days := g.RetentionDays
		if days == 0 {
			days = s.retention
		}
		if days <= 0 {
			continue
		}
		cutoff := s.now().Add(-time.Duration(days) * 24 * time.Hour)
		n, err := s.expireGroup(g.Function, cutoff)
		removed += n
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

func (s *Store) expireGroup(function string, cutoff time.Time) (int, error) {
	infos, err := s.Streams(function)
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, in := range infos {
		events, err := s.Events(function, in.Name)
		if err != nil {
			continue // removed meanwhile
		}
		keep := len(events)
		for i, e := range events {
			if !e.Time.Before(cutoff) {
				keep = i
				break
			}
		}
		if keep == 0 {
			continue
		}
		removed += keep
		if keep == len(events) {
			err = s.dropStream(function, in.Name)
		} else {
			path, _ := s.path(function, in.Name)
			err = s.keepFromPath(function, in.Name, path, events[keep].offset)
		}
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// keepFromPath rewrites a stream to keep its bytes from off on.
func (s *Store) keepFromPath(function, stream, path string, off int64) error {
	if sts := s.openOf(function, stream); len(sts) > 0 {
		return sts[0].keepFrom(path, off)
	}
	_, err := rewrite(path, off)
	return err
}

// keepFrom rewrites the stream's files to keep the bytes from off on (none
// when off < 0) and reopens them for appending. Buffered output waits.
func (st *Stream) keepFrom(path string, off int64) error {
	st.flush()
	st.fmu.Lock()
	defer st.fmu.Unlock()
	if off < 0 {
		off = st.ix.size
	}
	size, err := rewrite(path, off)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("reopen %s: %w", path, err)
	}
	st.file.Close()
	st.file = f
	if st.ix.file != nil {
		st.ix.file.Close()
		st.ix.file, _ = os.OpenFile(path+indexSuffix, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	}
	st.ix.size = size
	return nil
}

// rewrite replaces a stream file (and its index) by its bytes from off on,
// through a temporary file and a rename. It returns the new size.
func rewrite(path string, off int64) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("rewrite %s: %w", path, err)
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	var idx bytes.Buffer
	marks := readMarks(path + indexSuffix)
	for i, m := range marks {
		if m.off < off && (i+1 < len(marks) && marks[i+1].off <= off) {
			continue // superseded before the cut
		}
		o := m.off - off
		if o < 0 {
			o = 0
		}
		_ = binary.Write(&idx, binary.LittleEndian, [2]int64{o, m.ms})
	}
	if err := replaceFile(path+indexSuffix, idx.Bytes()); err != nil {
		return 0, err
	}
	if err := replaceFile(path, data[off:]); err != nil {
		return 0, err
	}
	return int64(len(data)) - off, nil
}

func replaceFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("rewrite %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rewrite %s: %w", path, err)
	}
	return nil
}

// DefaultExpireInterval is how often RunRetention looks for expired
// events.
const DefaultExpireInterval = 10 * time.Minute

// RunRetention removes expired events every interval until ctx ends.
func (s *Store) RunRetention(ctx context.Context, interval time.Duration, onError func(error)) {
	if interval <= 0 {
		interval = DefaultExpireInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Expire(); err != nil && onError != nil {
			onError(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
