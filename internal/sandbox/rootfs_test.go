package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// imageRoot makes an unpacked-image-like root: the mount points the
// sandbox needs and a marker file.
func imageRoot(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"proc", "dev", "tmp", "var/task", "var/runtime", "opt", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "marker"), []byte("image"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestImageRootAndBinds: with RootFS the environment sees the image, not
// the host's system directories; Binds show a host directory at its own
// path.
func TestImageRootAndBinds(t *testing.T) {
	m := newManager(t, "auto")
	bind := t.TempDir()
	_ = os.Chmod(bind, 0o755)
	if err := os.WriteFile(filepath.Join(bind, "interp"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		rootfs string
		want   map[string]bool
	}{
		{"image", imageRoot(t), map[string]bool{"/marker": true, "/usr/bin": false, "/var/task/testprog": true, "/tmp": true}},
		{"host", "", map[string]bool{"/marker": false, "/usr/bin": true, bind + "/interp": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out buffer
			s := spec(m, &out, "probe")
			s.RootFS = tc.rootfs
			if tc.rootfs == "" {
				s.Binds = []string{bind}
			}
			var paths []string
			for p := range tc.want {
				paths = append(paths, p)
			}
			s.Env = append(s.Env, "PROBE_PATHS="+strings.Join(paths, ":"))
			start(t, m, s)
			waitFor(t, "the probe", func() bool { return strings.Contains(out.String(), "hostname=") })
			for p, want := range tc.want {
				if line := "exists " + p + "=" + map[bool]string{true: "true", false: "false"}[want]; !strings.Contains(out.String(), line) {
					t.Errorf("want %q in:\n%s", line, out.String())
				}
			}
			if !strings.Contains(out.String(), "writetask=false") {
				t.Errorf("/var/task writable:\n%s", out.String())
			}
		})
	}
}

func TestImageRootNeedsIsolation(t *testing.T) {
	m := newManager(t, "off")
	s := spec(m, nil, "hello")
	s.RootFS = imageRoot(t)
	if _, err := m.Start(s); err == nil {
		t.Fatal("a plain environment started on an image root")
	}
}

// BenchmarkStartImageRoot compares a cold start on an image root with one
// on the host's directories (kept inits in both).
func BenchmarkStartImageRoot(b *testing.B) {
	root := imageRoot(b)
	for _, tc := range []struct{ name, rootfs string }{{"host-root", ""}, {"image-root", root}} {
		b.Run(tc.name, func(b *testing.B) {
			m := newManager(b, "auto")
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				waitFor(b, "a kept init", func() bool { return len(m.kept) >= 1 })
				s := spec(m, nil, "hello")
				s.RootFS = tc.rootfs
				b.StartTimer()
				startAccepted(b, m, s)
			}
		})
	}
}
