package sandbox

import (
	"bytes"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hearth-run/hearth/internal/testenv"
)

// keptInitExe waits for m's kept init and returns the program it runs.
func keptInitExe(t *testing.T, m *Manager) string {
	t.Helper()
	waitFor(t, "a kept init", func() bool { return len(m.kept) >= 1 })
	pd := <-m.kept
	defer func() { m.kept <- pd }()
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pd.cmd.Process.Pid) + "/exe")
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// TestEnvironmentsUseEmbeddedInit: an isolated environment's init is the
// small embedded program, written into the state directory, not a
// re-execution of the program that runs the Manager; and the bootstrap
// started by it works.
func TestEnvironmentsUseEmbeddedInit(t *testing.T) {
	m := newManager(t, "auto")
	exe := keptInitExe(t, m)
	self, _ := os.Executable()
	if filepath.Dir(exe) != m.initDir || !strings.HasPrefix(filepath.Base(exe), "init-") || exe == self {
		t.Fatalf("kept init runs %s, want the embedded init in %s (not %s)", exe, m.initDir, self)
	}
	want := testInit(t)
	got, err := os.ReadFile(exe)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s is not the embedded init (%d bytes, err %v; want %d bytes)", exe, len(got), err, len(want))
	}
	var out buffer
	p := start(t, m, spec(m, &out, "hello"))
	ln, _ := p.RuntimeAPI()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// testInit is the init TestMain built for the tests.
func testInit(t *testing.T) []byte {
	t.Helper()
	f, ok := initFiles.(fstest.MapFS)[initName]
	if !ok {
		t.Fatal("the tests embed no init")
	}
	return f.Data
}

// TestInitFallback: without a usable embedded init the Manager says so in
// one warning and re-executes its own program, which still starts
// environments.
func TestInitFallback(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.NeedRoot(t, "isolated mode (namespaces, mounts, cgroups)")
	}
	defer func(saved fs.FS) { initFiles = saved }(initFiles)
	for _, tc := range []struct {
		name  string
		files fstest.MapFS
		warn  string
	}{
		{"none embedded", fstest.MapFS{}, "no sandbox init is embedded"},
		{"not an init", fstest.MapFS{initName: {Data: []byte("#!/bin/sh\nexit 3\n"), Mode: 0o755}}, "does not run: exit status 3"},
		{"another protocol", fstest.MapFS{initName: {Data: []byte("#!/bin/sh\n[ \"$HEARTH_SANDBOX_INIT\" = hearth-sandbox-init/1 ] || exit 9\n"), Mode: 0o755}}, "exit status 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			initFiles = tc.files
			var logs buffer
			m, err := New(Options{StateDir: t.TempDir(), CgroupParent: testCgroupParent, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if !m.Isolated() {
				t.Fatal("running as root but the manager does not isolate")
			}
			if n := strings.Count(logs.String(), "re-executes"); n != 1 || !strings.Contains(logs.String(), tc.warn) {
				t.Fatalf("want one warning naming %q, logged:\n%s", tc.warn, logs.String())
			}
			self, _ := os.Executable()
			if exe := keptInitExe(t, m); exe != self {
				t.Fatalf("kept init runs %s, want %s", exe, self)
			}
			p := start(t, m, spec(m, nil, "hello"))
			ln, _ := p.RuntimeAPI()
			c, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
		})
	}
}

// TestInstallInit: the init is written once per content, a changed one
// replaces the old file, and nothing else in the directory is touched.
func TestInstallInit(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "keep")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p1, err := installInit(dir, []byte("one"))
	if err != nil {
		t.Fatal(err)
	}
	fi1, _ := os.Stat(p1)
	again, err := installInit(dir, []byte("one"))
	if err != nil || again != p1 {
		t.Fatalf("second install: %s, %v; want %s", again, err, p1)
	}
	if fi, _ := os.Stat(p1); !os.SameFile(fi, fi1) {
		t.Error("the same init was written again")
	}
	if fi1.Mode().Perm() != 0o700 {
		t.Errorf("mode %v, want 0700", fi1.Mode().Perm())
	}
	p2, err := installInit(dir, []byte("two"))
	if err != nil || p2 == p1 {
		t.Fatalf("install of another init: %s, %v", p2, err)
	}
	if _, err := os.Stat(p1); !os.IsNotExist(err) {
		t.Errorf("old init left behind: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("unrelated file removed: %v", err)
	}
	if b, _ := os.ReadFile(p2); string(b) != "two" {
		t.Errorf("content %q, want two", b)
	}
}
