package logs

import (
	"encoding/binary"
	"os"
	"time"
)

// A stream's index file (<stream file>.idx) records when its bytes were
// written, so that the CloudWatch Logs API can give every line its own
// timestamp: a sequence of 16-byte little-endian records, the file offset
// where output written at a given time begins and that time in Unix
// milliseconds. A line's timestamp is that of the last record at or before
// its first byte. A record is added only when the millisecond changes, so
// the index stays small; it is written with the data at every flush.
const (
	indexSuffix = ".idx"
	recordSize  = 16
)

// mark is one index record: output from off on was written at ms.
type mark struct {
	off int64 // in the buffer while pending, in the file once written
	ms  int64
}

// index collects the marks of a Stream's buffered output and appends them
// to the index file when the buffer is flushed.
type index struct {
	now func() time.Time

	// Guarded by the Stream's mu.
	pending []mark
	covered int   // bytes of the buffer that have a mark
	lastMS  int64 // time of the last mark made

	// Guarded by the Stream's fmu.
	file  *os.File
	size  int64 // bytes of the stream file, where the next flush lands
	spare []mark
	rec   []byte
}

// note records the time of buffered bytes [covered, bufLen). Called with
// the Stream's mu held, after output was appended.
func (ix *index) note(bufLen int) {
	if bufLen <= ix.covered {
		return
	}
	ms := ix.now().UnixMilli()
	if ms != ix.lastMS {
		ix.pending = append(ix.pending, mark{off: int64(ix.covered), ms: ms})
		ix.lastMS = ms
	}
	ix.covered = bufLen
}

// take hands the pending marks to a flush. Called with mu held, as the
// buffer is swapped.
func (ix *index) take() []mark {
	out := ix.pending
	ix.pending = ix.spare[:0]
	ix.spare = nil
	ix.covered = 0
	return out
}

// written appends the marks of n bytes just written to the stream file.
// Called with fmu held.
func (ix *index) written(marks []mark, n int) {
	if ix.file != nil && len(marks) > 0 {
		ix.rec = ix.rec[:0]
		for _, m := range marks {
			ix.rec = binary.LittleEndian.AppendUint64(ix.rec, uint64(ix.size+m.off))
			ix.rec = binary.LittleEndian.AppendUint64(ix.rec, uint64(m.ms))
		}
		_, _ = ix.file.Write(ix.rec) // the index is best effort: lines without a record take an earlier time
	}
	ix.size += int64(n)
	ix.spare = marks[:0]
}

// readMarks reads an index file; a missing file has no marks.
func readMarks(path string) []mark {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	out := make([]mark, 0, len(b)/recordSize)
	for len(b) >= recordSize {
		out = append(out, mark{off: int64(binary.LittleEndian.Uint64(b)), ms: int64(binary.LittleEndian.Uint64(b[8:]))})
		b = b[recordSize:]
	}
	return out
}
