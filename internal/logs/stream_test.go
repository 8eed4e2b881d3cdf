package logs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const testStream = "2026/11/25/[$LATEST]0123abcd0123abcd0123abcd0123abcd"

func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readAll(t *testing.T, s *Store, function, stream string) string {
	t.Helper()
	var b bytes.Buffer
	if err := s.Read(function, stream, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// invocation writes one invocation as an environment does.
func invocation(st *Stream, id string, lines ...string) {
	st.Start(id, "$LATEST")
	for _, l := range lines {
		_, _ = st.Write([]byte(l))
	}
	st.End(id)
	st.Report(Report{RequestID: id, Duration: 1500 * time.Microsecond, MemorySizeMB: 128, MaxMemoryUsedMB: 20})
}

func TestStreamWritesLambdaLog(t *testing.T) {
	s := openStore(t, t.TempDir())
	st, err := s.Create("fn", testStream)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, _ = st.Write([]byte("init output\n"))
	invocation(st, "r1", "hello\n", "world\n")
	want := "init output\n" +
		"START RequestId: r1 Version: $LATEST\nhello\nworld\nEND RequestId: r1\n" +
		"REPORT RequestId: r1\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\t\n"
	if got := readAll(t, s, "fn", testStream); got != want {
		t.Errorf("log = %q\nwant  %q", got, want)
	}
	if got := string(st.Tail()); got != strings.TrimPrefix(want, "init output\n") {
		t.Errorf("Tail = %q", got)
	}
	if st.Name() != testStream {
		t.Errorf("Name = %q", st.Name())
	}
}

func TestTail(t *testing.T) {
	big := strings.Repeat("x", 1000) + "\n"
	tests := []struct {
		name  string
		write func(st *Stream)
		want  func(string) bool
	}{
		{"empty before any invocation", func(st *Stream) { _, _ = st.Write([]byte("init\n")) },
			func(s string) bool { return s == "" }},
		{"only the last invocation", func(st *Stream) {
			invocation(st, "first", "one\n")
			_, _ = st.Write([]byte("between\n"))
			invocation(st, "second", "two\n")
			_, _ = st.Write([]byte("after report\n"))
		}, func(s string) bool {
			return strings.HasPrefix(s, "START RequestId: second ") && strings.HasSuffix(s, "\t\n") &&
				!strings.Contains(s, "first") && !strings.Contains(s, "between") && !strings.Contains(s, "after")
		}},
		{"current invocation in progress", func(st *Stream) {
			invocation(st, "done", "old\n")
			st.Start("running", "$LATEST")
			_, _ = st.Write([]byte("partial\n"))
		}, func(s string) bool { return s == "START RequestId: running Version: $LATEST\npartial\n" }},
		{"bounded to the last 4096 bytes", func(st *Stream) {
			invocation(st, "big", big, big, big, big, big, big)
		}, func(s string) bool {
			return len(s) == TailBytes && strings.HasSuffix(s, "Max Memory Used: 20 MB\t\n") &&
				!strings.Contains(s, "START")
		}},
		{"one huge write", func(st *Stream) {
			st.Start("huge", "$LATEST")
			_, _ = st.Write([]byte(strings.Repeat("y", 3*TailBytes)))
		}, func(s string) bool { return s == strings.Repeat("y", TailBytes) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, t.TempDir())
			st, err := s.Create("fn", "s")
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			tt.write(st)
			if got := string(st.Tail()); !tt.want(got) {
				t.Errorf("Tail = %q (%d bytes)", got, len(got))
			}
		})
	}
}

// TestTailSlidingWindow checks the bounded tail against the plain
// definition (last TailBytes of everything since START) across many
// write sizes.
func TestTailSlidingWindow(t *testing.T) {
	s := openStore(t, t.TempDir())
	st, err := s.Create("fn", "s")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Start("r", "1")
	all := []byte("START RequestId: r Version: 1\n")
	for i := range 400 {
		p := bytes.Repeat([]byte{byte('a' + i%26)}, (i*37)%700)
		_, _ = st.Write(p)
		all = append(all, p...)
		want := all
		if len(want) > TailBytes {
			want = want[len(want)-TailBytes:]
		}
		if got := st.Tail(); !bytes.Equal(got, want) {
			t.Fatalf("after write %d: tail differs (%d vs %d bytes)", i, len(got), len(want))
		}
	}
}

func TestConcurrentWriters(t *testing.T) {
	s := openStore(t, t.TempDir())
	st, err := s.Create("fn", testStream)
	if err != nil {
		t.Fatal(err)
	}
	const writers, lines = 4, 2000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				_, _ = fmt.Fprintf(st, "writer %d line %d\n", w, i)
			}
		}()
	}
	wg.Add(1)
	go func() { // an invocation's platform lines interleave with the output
		defer wg.Done()
		for i := range 50 {
			invocation(st, fmt.Sprint("req-", i))
			_ = st.Tail()
		}
	}()
	wg.Wait()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, s, "fn", testStream)
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		seen[l] = true
	}
	for w := range writers {
		for i := range lines {
			if l := fmt.Sprintf("writer %d line %d", w, i); !seen[l] {
				t.Fatalf("missing or torn line %q", l)
			}
		}
	}
	if n := strings.Count(got, "REPORT RequestId: "); n != 50 {
		t.Errorf("%d REPORT lines, want 50", n)
	}
}

func TestReopenAppends(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	st, err := s.Create("fn", testStream)
	if err != nil {
		t.Fatal(err)
	}
	invocation(st, "before", "first life\n")
	// No Close: the REPORT line flushed, so a killed process keeps it.
	path := filepath.Join(dir, "fn", "2026%2F11%2F25%2F%5B%24LATEST%5D0123abcd0123abcd0123abcd0123abcd.log")
	onDisk, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(onDisk), "REPORT RequestId: before") {
		t.Fatalf("after REPORT the file holds %q (%v)", onDisk, err)
	}
	_, _ = st.Write([]byte("unflushed\n")) // lost if the process dies now
	st.timer.Stop()                        // simulate the kill: no timer, no Close
	before := string(onDisk)

	s2 := openStore(t, dir) // Hearth restarted
	st2, err := s2.Create("fn", testStream)
	if err != nil {
		t.Fatal(err)
	}
	invocation(st2, "after", "second life\n")
	if err := st2.Close(); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, s2, "fn", testStream)
	if !strings.HasPrefix(got, before) || !strings.Contains(got, "START RequestId: after") ||
		strings.Contains(got, "unflushed") {
		t.Errorf("reopened log = %q", got)
	}
}

func TestTimerFlush(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, FlushInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Create("fn", "s")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, _ = st.Write([]byte("between invocations\n"))
	path := filepath.Join(dir, "fn", "s.log")
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(5 * time.Millisecond) {
		if b, _ := os.ReadFile(path); string(b) == "between invocations\n" {
			return
		}
	}
	t.Fatal("buffered output never reached the file")
}

func TestStreamsAndNames(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	names := []string{testStream, "2026/11/24/[7]ffff", ".hidden", "50%/odd name\n"}
	for i, n := range names {
		st, err := s.Create("fn", n)
		if err != nil {
			t.Fatalf("Create(%q): %v", n, err)
		}
		_, _ = st.Write(bytes.Repeat([]byte("z"), i+1))
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		// Distinct modification times, oldest first.
		mt := time.Now().Add(time.Duration(i-10) * time.Minute)
		p, _ := s.path("fn", n)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	_ = os.WriteFile(filepath.Join(dir, "fn", "stray.txt"), nil, 0o644) // not a stream
	infos, err := s.Streams("fn")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != len(names) {
		t.Fatalf("Streams = %+v", infos)
	}
	for i, info := range infos {
		j := len(names) - 1 - i
		if info.Name != names[j] || info.Size != int64(j+1) {
			t.Errorf("Streams[%d] = %+v, want %q of %d bytes", i, info, names[j], j+1)
		}
	}
	if infos, err := s.Streams("nologs"); err != nil || len(infos) != 0 {
		t.Errorf("Streams of a function without logs = %v, %v", infos, err)
	}
}

func TestStoreErrors(t *testing.T) {
	s := openStore(t, t.TempDir())
	st, err := s.Create("fn", "s")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"second create", second(s.Create("fn", "s")), ErrStreamOpen},
		{"dot-dot function", second(s.Create("..", "s")), ErrInvalidName},
		{"slash function", second(s.Create("a/b", "s")), ErrInvalidName},
		{"empty stream", second(s.Create("fn", "")), ErrInvalidName},
		{"long stream", second(s.Create("fn", strings.Repeat("/", 100))), ErrInvalidName},
		{"read missing", s.Read("fn", "missing", &bytes.Buffer{}), ErrNotFound},
		{"streams invalid", second(s.Streams("../x")), ErrInvalidName},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
		}
	}

	_, _ = st.Write([]byte("doomed\n"))
	if err := s.DeleteFunction("fn"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after DeleteFunction = %v", err)
	}
	if infos, _ := s.Streams("fn"); len(infos) != 0 {
		t.Errorf("streams after delete: %v", infos)
	}
	again, err := s.Create("fn", "s") // the name is free again
	if err != nil {
		t.Fatalf("Create after delete: %v", err)
	}
	if err := again.Close(); err != nil {
		t.Error(err)
	}
}

func second[T any](_ T, err error) error { return err }

func FuzzStreamName(f *testing.F) {
	for _, s := range []string{testStream, ".", "..", "%41", "a/b", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		file, ok := encodeStream(name)
		if !ok {
			return
		}
		if strings.ContainsAny(file, "/\x00") || file == "." || file == ".." || strings.HasPrefix(file, ".") {
			t.Fatalf("unsafe file name %q for %q", file, name)
		}
		back, ok := decodeStream(file)
		if !ok || back != name {
			t.Fatalf("round trip %q -> %q -> %q", name, file, back)
		}
	})
}

// TestInitTail: a failed Init's output and INIT_REPORT go into the tail of
// the request that follows; a successful Init's output does not.
func TestInitTail(t *testing.T) {
	tests := []struct {
		name   string
		failed bool
		want   string
	}{
		{"failed init", true, "boom\nINIT_REPORT Init Duration: 1.00 ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError\nSTART RequestId: r Version: 1\nEND RequestId: r\n"},
		{"successful init", false, "START RequestId: r Version: 1\nEND RequestId: r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, t.TempDir())
			st, err := s.Create("fn", "s")
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			st.BeginInit()
			st.Write([]byte("boom\n"))
			if tt.failed {
				st.InitFailed(InitReport{Duration: time.Millisecond, Phase: "init", Status: "error", ErrorType: "Runtime.ExitError"})
			}
			st.Start("r", "1")
			st.End("r")
			if got := string(st.Tail()); got != tt.want {
				t.Errorf("tail = %q, want %q", got, tt.want)
			}
		})
	}
}
