package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDamagedStore stops Hearth cleanly, damages its store in three ways
// and checks that Hearth refuses to start with a message naming the file
// and the way to recover, exits non-zero and prints no panic, that
// `hearth store check` reports the damage, and that Hearth starts again
// once the store is restored.
func TestDamagedStore(t *testing.T) {
	h := startHearth(t, "")
	createFunction(t, h.client(), "kept", runtimeCases[1])
	h.stop()
	db := filepath.Join(h.dataDir, "hearth.db")
	backup, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		damage func() error
		want   string
	}{
		{"truncated", func() error { return os.WriteFile(db, backup[:len(backup)/2], 0o600) }, "truncated"},
		{"garbage pages", func() error {
			b := append([]byte(nil), backup...)
			for off := 2 * 4096; off+4096 <= len(b); off += 4096 {
				copy(b[off:off+4096], strings.Repeat("\xba\xad", 2048))
			}
			return os.WriteFile(db, b, 0o600)
		}, "damaged"},
		{"zero length", func() error { return os.WriteFile(db, nil, 0o600) }, "empty (zero length)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.damage(); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(hearthBin, "serve", "--listen", freeAddr(t), "--data-dir", h.dataDir)
			cmd.Env = append(os.Environ(), "HEARTH_ACCESS_KEY_ID="+testKeyID, "HEARTH_SECRET_ACCESS_KEY="+testSecret)
			out, err := cmd.CombinedOutput()
			text := string(out)
			if err == nil || cmd.ProcessState.ExitCode() == 0 {
				t.Fatalf("hearth started on a damaged store:\n%s", text)
			}
			if !strings.Contains(text, db) || !strings.Contains(text, "hearth store check") || !strings.Contains(text, tt.want) ||
				strings.Contains(text, "panic") || strings.Contains(text, "goroutine ") {
				t.Fatalf("start on a damaged store said:\n%s", text)
			}
			if tt.name != "zero length" {
				check := exec.Command(hearthBin, "store", "check", "--data-dir", h.dataDir)
				out, err := check.CombinedOutput()
				if err == nil || check.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "damaged") {
					t.Fatalf("hearth store check on a damaged store: %v\n%s", err, out)
				}
			}
		})
	}
	if err := os.WriteFile(db, backup, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(hearthBin, "store", "check", "--data-dir", h.dataDir).CombinedOutput(); err != nil {
		t.Fatalf("hearth store check on the restored store: %v\n%s", err, out)
	}
	h.restart()
	if r := invoke(t, h.client(), "kept", map[string]any{"action": "echo"}); r.FunctionError != "" {
		t.Fatalf("invoke after restoring the store: %s %s", r.FunctionError, r.Raw)
	}
}
