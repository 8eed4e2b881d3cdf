package e2e

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRelease runs `make release` and checks its binaries: static ELF
// executables for amd64 and arm64, whose version names this checkout's
// commit.
func TestRelease(t *testing.T) {
	head, err := exec.Command("git", "-C", "..", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse HEAD: %v", err)
	}
	dist := t.TempDir()
	build := exec.Command("make", "-C", "..", "release", "DIST="+dist)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make release: %v\n%s", err, out)
	}
	for arch, machine := range map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64} {
		f, err := elf.Open(filepath.Join(dist, "hearth-linux-"+arch))
		if err != nil {
			t.Fatalf("%s: %v", arch, err)
		}
		if f.Machine != machine || f.Type != elf.ET_EXEC {
			t.Errorf("%s: machine %v type %v", arch, f.Machine, f.Type)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("%s: dynamically linked (has an interpreter)", arch)
			}
		}
		f.Close()
		if got, err := embeddedInitMachine(filepath.Join(dist, "hearth-linux-"+arch)); err != nil || got != machine {
			t.Errorf("%s: embedded sandbox init: machine %v, %v; want %v", arch, got, err, machine)
		}
	}
	out, err := exec.Command(filepath.Join(dist, "hearth-linux-amd64"), "version").Output()
	if err != nil || !strings.Contains(string(out), "commit: "+strings.TrimSpace(string(head))+"\n") ||
		!strings.Contains(string(out), "\nsandbox init: embedded (") {
		t.Errorf("release binary's version: %v\n%s\nwant commit %s", err, out, head)
	}
	check := exec.Command("sha256sum", "-c", "SHA256SUMS")
	check.Dir = dist
	if out, err := check.CombinedOutput(); err != nil {
		t.Errorf("SHA256SUMS: %v\n%s", err, out)
	}
}

// TestSystemdUnit checks deploy/hearth.service: it runs hearth serve as
// root on /var/lib/hearth, hardened without taking what the sandbox needs,
// and systemd's own checker accepts it (with ExecStart pointed at a built
// hearth).
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile("../deploy/hearth.service")
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, line := range strings.Split(string(unit), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			settings[k] = v
		}
	}
	for k, want := range map[string]string{
		"User": "root", "StateDirectory": "hearth", "ExecStart": "/usr/local/bin/hearth serve --data-dir /var/lib/hearth",
		"NoNewPrivileges": "yes", "ProtectSystem": "full", "ProtectHome": "yes", "PrivateTmp": "yes", "Delegate": "yes",
		"KillMode": "mixed",
	} {
		if settings[k] != want {
			t.Errorf("%s=%q, want %q", k, settings[k], want)
		}
	}
	for _, k := range []string{"ProtectControlGroups", "ProtectKernelTunables", "MemoryDenyWriteExecute", "RestrictNamespaces", "PrivateDevices"} {
		if _, ok := settings[k]; ok {
			t.Errorf("%s would break the sandbox or the functions", k)
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Logf("systemd-analyze not installed; the unit's syntax is not checked by systemd")
		return
	}
	dir := t.TempDir()
	local := strings.ReplaceAll(string(unit), "/usr/local/bin/hearth", hearthBin)
	path := filepath.Join(dir, "hearth.service")
	if err := os.WriteFile(path, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", path).CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// embeddedInitMachine finds the sandbox init embedded in the release
// binary at path — an executable ELF file inside it — and returns the
// machine it is built for.
func embeddedInitMachine(path string) (elf.Machine, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for off := 1; ; off++ {
		i := bytes.Index(data[off:], []byte(elf.ELFMAG))
		if i < 0 {
			return 0, errors.New("no executable embedded")
		}
		off += i
		f, err := elf.NewFile(bytes.NewReader(data[off:]))
		if err != nil || f.Type != elf.ET_EXEC {
			continue
		}
		return f.Machine, nil
	}
}
