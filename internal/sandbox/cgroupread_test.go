package sandbox

import (
	"os"
	"path/filepath"
	"testing"
)

// A kept file reads the current content on every read, not what it held
// when it was opened, however long it grows.
func TestKeptFileReadsCurrentContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "procs")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("42\n")
	k := &keptFile{path: path}
	defer k.close()
	if !k.isOnlyPid(42) || k.isOnlyPid(4) || k.isOnlyPid(420) {
		t.Fatalf("isOnlyPid on %q wrong", "42\n")
	}
	long := ""
	for i := 1000; i < 1400; i++ {
		long += string(rune('0'+i/1000)) + string(rune('0'+i/100%10)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10)) + "\n"
	}
	write(long)
	pids := k.pidList()
	if len(pids) != 400 || pids[0] != 1000 || pids[399] != 1399 {
		t.Fatalf("pidList after growth: %d pids, %v...", len(pids), pids[:min(3, len(pids))])
	}
	if k.isOnlyPid(1000) {
		t.Fatal("isOnlyPid true for a list of 400")
	}
	write("123456\n")
	if got := k.uintValue(); got != 123456 {
		t.Fatalf("uintValue = %d, want 123456", got)
	}
	k.close()
	write("7\n")
	if got := k.uintValue(); got != 7 {
		t.Fatalf("uintValue after close = %d, want 7", got)
	}
}

// statusKB finds a key of /proc/self/status.
func TestKeptFileStatusKB(t *testing.T) {
	k := &keptFile{path: "/proc/self/status"}
	defer k.close()
	if got := k.statusKB("VmHWM:"); got == 0 {
		t.Fatal("VmHWM of this process read as 0")
	}
	if got := k.statusKB("NoSuchKey:"); got != 0 {
		t.Fatalf("missing key read as %d", got)
	}
}
