package logs

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLostOutputCounted writes function output while the disk is full
// (/dev/full answers every write with ENOSPC): the bytes are counted, the
// loss is reported once however many writes fail, and its end once.
func TestLostOutputCounted(t *testing.T) {
	var logBuf syncBuffer
	s, err := Open(Options{Dir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Create("f", testStream)
	if err != nil {
		t.Fatal(err)
	}
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full to simulate a full disk:", err)
	}
	st.fmu.Lock()
	good := st.file
	st.file = full
	st.fmu.Unlock()
	for i := range 5 {
		_, _ = st.Write([]byte(strings.Repeat("x", 99) + "\n"))
		st.flush()
		if got := s.LostBytes(); got != int64(100*(i+1)) {
			t.Fatalf("after %d failed writes, %d bytes counted lost", i+1, got)
		}
	}
	if n := strings.Count(logBuf.String(), "cannot be written"); n != 1 {
		t.Fatalf("loss reported %d times:\n%s", n, logBuf.String())
	}
	st.fmu.Lock()
	st.file = good
	st.fmu.Unlock()
	full.Close()
	_, _ = st.Write([]byte("back\n"))
	st.flush()
	if !strings.Contains(logBuf.String(), "written again") || s.LostBytes() != 500 {
		t.Fatalf("recovery: lost %d, log:\n%s", s.LostBytes(), logBuf.String())
	}
	if err := st.Close(); err == nil {
		t.Fatal("Close reports no error after lost output")
	}
}

// TestCreateWithoutDisk creates a stream whose directory cannot be made (a
// file stands in its place): Create still succeeds, since the files are
// made by the first flush; the output is counted lost and Close reports it;
// once the obstacle is gone, the next flush creates the file and what is
// written from then on reaches it.
func TestCreateWithoutDisk(t *testing.T) {
	dir := t.TempDir()
	var logBuf syncBuffer
	s, err := Open(Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	block := filepath.Join(dir, "f")
	if err := os.WriteFile(block, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := s.Create("f", testStream)
	if err != nil {
		t.Fatalf("Create with its directory blocked: %v", err)
	}
	_, _ = st.Write([]byte("lost line\n"))
	st.Flush()
	if got := s.LostBytes(); got != int64(len("lost line\n")) {
		t.Fatalf("lost %d bytes, want %d", got, len("lost line\n"))
	}
	if err := os.Remove(block); err != nil {
		t.Fatal(err)
	}
	_, _ = st.Write([]byte("kept line\n"))
	st.Flush()
	if got := readAll(t, s, "f", testStream); got != "kept line\n" {
		t.Fatalf("stream after recovery = %q", got)
	}
	if !strings.Contains(logBuf.String(), "written again") {
		t.Fatalf("recovery not reported:\n%s", logBuf.String())
	}
	if err := st.Close(); err == nil || !strings.Contains(err.Error(), "create f/") {
		t.Fatalf("Close = %v, want the creation error", err)
	}
}
