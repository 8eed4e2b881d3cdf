package logs

import (
	"testing"
	"time"
)

// BenchmarkInvocation is a typical invocation's logging: START, two lines
// of function output, END, REPORT (which writes the file) and Tail (for
// LogType=Tail).
func BenchmarkInvocation(b *testing.B) {
	s, err := Open(Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	st, err := s.Create("fn", "2026/11/25/[$LATEST]0123abcd0123abcd0123abcd0123abcd")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
	line1 := []byte("2026-11-25T10:00:00.000Z\t" + id + "\tINFO\tprocessing event {\"key1\":\"value1\"}\n")
	line2 := []byte("2026-11-25T10:00:00.001Z\t" + id + "\tINFO\tdone\n")
	r := Report{RequestID: id, Duration: 1234 * time.Microsecond, MemorySizeMB: 128, MaxMemoryUsedMB: 35}
	b.ReportAllocs()
	for b.Loop() {
		st.Start(id, "$LATEST")
		_, _ = st.Write(line1)
		_, _ = st.Write(line2)
		st.End(id)
		st.Report(r)
		if len(st.Tail()) == 0 {
			b.Fatal("empty tail")
		}
	}
}
