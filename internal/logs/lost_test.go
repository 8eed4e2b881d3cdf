package logs

import (
	"bytes"
	"log/slog"
	"os"
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
