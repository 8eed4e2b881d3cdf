package sandbox

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"sync"
	"syscall"
)

// keptFile is a cgroupfs or procfs file read on every invocation (the
// cgroup's task list when freezing, its peak memory when an invocation
// ends). It is opened once and read with pread from offset 0, which the
// kernel answers with the current content: 1–2 µs a read where an
// open/read/close through os.ReadFile costs about 20.
type keptFile struct {
	path string
	mu   sync.Mutex // guards f and buf
	f    *os.File
	fd   int // f's descriptor, read with pread(2) directly
	buf  []byte
	shut bool
}

// read returns the file's current content, valid until the next read. It
// falls back to os.ReadFile when the file cannot be kept open.
func (k *keptFile) read() ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.shut {
		return os.ReadFile(k.path)
	}
	if k.f == nil {
		f, err := os.Open(k.path)
		if err != nil {
			return nil, err
		}
		k.f, k.fd = f, int(f.Fd())
	}
	if k.buf == nil {
		k.buf = make([]byte, 512)
	}
	for {
		// One pread: a seq_file answers with all the content that fits,
		// so a short read is the whole file (os.File.ReadAt would read
		// again to see EOF, a second syscall on every invocation).
		n, err := syscall.Pread(k.fd, k.buf, 0)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n < len(k.buf) {
			return k.buf[:n], nil
		}
		k.buf = make([]byte, 2*len(k.buf)) // it may hold more: read again, larger
	}
}

// close releases the descriptor; later reads open the file each time.
func (k *keptFile) close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.f != nil {
		_ = k.f.Close()
		k.f = nil
	}
	k.shut = true
}

// uintValue parses a file holding one decimal number (0 if unreadable).
func (k *keptFile) uintValue() uint64 {
	b, err := k.read()
	if err != nil {
		return 0
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}

// statusKB finds a "Key:   N kB" line of a /proc/PID/status file (0 if
// none).
func (k *keptFile) statusKB(key string) uint64 {
	b, err := k.read()
	if err != nil {
		return 0
	}
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0
	}
	var n uint64
	for _, c := range bytes.TrimLeft(b[i+len(key):], " \t") {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}

// pidList parses a cgroup.procs file: one PID a line.
func (k *keptFile) pidList() []int {
	b, err := k.read()
	if err != nil {
		return nil
	}
	var out []int
	for start := 0; start < len(b); {
		end := start
		for end < len(b) && b[end] != '\n' {
			end++
		}
		if n, err := strconv.Atoi(string(b[start:end])); err == nil {
			out = append(out, n)
		}
		start = end + 1
	}
	return out
}

// isOnlyPid reports whether a cgroup.procs file lists exactly pid, without
// allocating: the question a freeze asks twice.
func (k *keptFile) isOnlyPid(pid int) bool {
	b, err := k.read()
	if err != nil {
		return false
	}
	var want [20]byte
	s := strconv.AppendInt(want[:0], int64(pid), 10)
	return len(b) == len(s)+1 && string(b[:len(s)]) == string(s) && b[len(s)] == '\n'
}
