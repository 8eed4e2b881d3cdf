package codestore

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/hearth-run/hearth/internal/testenv"
)

func TestDeleteAndGC(t *testing.T) {
	s := openStore(t, Options{})
	var shas []string
	for i := range 3 {
		info, err := s.Put(buildZip(t, file("bootstrap", fmt.Sprint(i), 0o755), file("d/e/f", "x", 0o644)))
		if err != nil {
			t.Fatal(err)
		}
		shas = append(shas, info.SHA256)
	}

	if err := s.Delete(shas[0]); err != nil {
		t.Fatal(err)
	}
	if s.Has(shas[0]) {
		t.Error("Has after Delete")
	}
	for _, call := range []struct {
		name string
		err  error
	}{
		{"Delete again", s.Delete(shas[0])},
		{"Delete invalid", s.Delete("../../etc")},
		{"ZipPath", func() error { _, err := s.ZipPath(shas[0]); return err }()},
		{"Tree", func() error { _, err := s.Tree(shas[0]); return err }()},
		{"Tree invalid", func() error { _, err := s.Tree(strings.Repeat("A", 64)); return err }()},
	} {
		if !errors.Is(call.err, ErrNotFound) {
			t.Errorf("%s = %v, want ErrNotFound", call.name, call.err)
		}
	}

	// A tree whose zip is missing, as a crash between the two renames of a
	// Put leaves it: not present, and collected by GC.
	orphan := strings.Repeat("ab", 32)
	if err := os.MkdirAll(filepath.Join(s.trees, orphan, "sub"), 0o555); err != nil {
		t.Fatal(err)
	}
	if s.Has(orphan) {
		t.Error("Has(orphan tree) = true")
	}
	removed, err := s.GC(func(sha string) bool { return sha == shas[2] })
	if err != nil {
		t.Fatal(err)
	}
	if removed != 2 {
		t.Errorf("GC removed %d, want 2", removed)
	}
	if s.Has(shas[1]) || !s.Has(shas[2]) {
		t.Errorf("after GC: Has(collected) = %v, Has(kept) = %v", s.Has(shas[1]), s.Has(shas[2]))
	}
	for _, d := range []string{s.zips, s.trees} {
		if entries, _ := os.ReadDir(d); len(entries) != 1 {
			t.Errorf("%s holds %d entries after GC, want 1", d, len(entries))
		}
	}
	assertNoLeftovers(t, s, false)
}

func TestOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "code")
	s := openStore(t, Options{Dir: dir})
	info, err := s.Put(buildZip(t, file("bootstrap", "x", 0o755)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{Dir: dir}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Leftovers of interrupted Puts and Deletes, read-only as trees are.
	for _, p := range []string{"put-1/tree/a/b", "del-2/tree/c"} {
		full := filepath.Join(dir, "tmp", p)
		if err := os.MkdirAll(full, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(full, "f"), []byte("x"), 0o444); err != nil {
			t.Fatal(err)
		}
		for d := full; d != filepath.Join(dir, "tmp"); d = filepath.Dir(d) {
			os.Chmod(d, 0o555)
		}
	}
	os.WriteFile(filepath.Join(dir, "tmp", "put-3.zip"), []byte("partial"), 0o444)

	s2 := openStore(t, Options{Dir: dir})
	assertNoLeftovers(t, s2, false)
	if !s2.Has(info.SHA256) {
		t.Error("published code lost across Open")
	}
	if _, err := Open(Options{}); err == nil {
		t.Error("Open without Dir succeeded")
	}
	if got := s2.Options(); got.MaxZipBytes != 52428800 || got.MaxUnzippedBytes != 262144000 || got.MaxFiles != DefaultMaxFiles {
		t.Errorf("default options = %+v", got)
	}
}

// TestTreeReadableByUnprivilegedUser runs the unpacked code as nobody, the
// way functions run.
func TestTreeReadableByUnprivilegedUser(t *testing.T) {
	testenv.NeedRoot(t, "runs a process as an unprivileged uid")
	root := t.TempDir()
	s := openStore(t, Options{Dir: filepath.Join(root, "code")})
	info, err := s.Put(buildZip(t,
		file("bootstrap", "#!/bin/sh\ncat lib/data.txt\n", 0o700),
		file("lib/data.txt", "secret-free", 0o600),
	))
	if err != nil {
		t.Fatal(err)
	}
	tree, _ := s.Tree(info.SHA256)
	// t.TempDir's directories are private; open the way down to the tree
	// (in Hearth the sandbox bind-mounts the tree instead).
	for d := filepath.Dir(tree); ; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
		if d == filepath.Dir(root) {
			break
		}
	}
	run := func(name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		cmd.Dir = tree
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("./bootstrap"); err != nil || out != "secret-free" {
		t.Errorf("bootstrap as nobody = %q, %v", out, err)
	}
	if out, err := run("/bin/sh", "-c", "echo x > lib/new"); err == nil {
		t.Errorf("nobody could write into the tree: %q", out)
	}
}

// TestCrashMidPut kills a process that keeps storing code and checks that
// the store it leaves opens clean, with every present code complete.
func TestCrashMidPut(t *testing.T) {
	if dir := os.Getenv("CODESTORE_CRASH_DIR"); dir != "" {
		crashHelper(dir)
		return
	}
	dir := filepath.Join(t.TempDir(), "code")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashMidPut$")
	cmd.Env = append(os.Environ(), "CODESTORE_CRASH_DIR="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	for i := 0; i < 5 && lines.Scan(); i++ {
	}
	cmd.Process.Kill()
	cmd.Wait()

	s := openStore(t, Options{Dir: dir})
	assertNoLeftovers(t, s, false)
	entries, _ := os.ReadDir(s.zips)
	if len(entries) == 0 {
		t.Fatalf("the helper published nothing; its stderr: %s", stderr.String())
	}
	for _, e := range entries {
		sha := strings.TrimSuffix(e.Name(), ".zip")
		tree, err := s.Tree(sha)
		if err != nil {
			t.Fatalf("zip %s without its tree: %v", sha, err)
		}
		files, _ := os.ReadDir(filepath.Join(tree, "lib"))
		if len(files) != 50 {
			t.Errorf("tree %s holds %d files, want 50", sha, len(files))
		}
	}
}

// crashHelper stores distinct code until killed, printing each digest.
func crashHelper(dir string) {
	s, err := Open(Options{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		ents := []zent{file("bootstrap", fmt.Sprint(i), 0o755)}
		for j := range 50 {
			ents = append(ents, file(fmt.Sprintf("lib/f%d", j), strings.Repeat("x", 1000*j), 0o644))
		}
		z, err := makeZip(ents...)
		if err == nil {
			var info Info
			info, err = s.Put(z)
			fmt.Println(info.SHA256)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}
