package runtimes

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/hearth-run/hearth/internal/testenv"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		name, family, env string
		ok                bool
	}{
		{"provided.al2023", FamilyProvided, "", true},
		{"provided.al2", FamilyProvided, "", true},
		{"python3.9", FamilyPython, "AWS_Lambda_python3.9", true},
		{"python3.13", FamilyPython, "AWS_Lambda_python3.13", true},
		{"nodejs18.x", FamilyNode, "AWS_Lambda_nodejs18.x", true},
		{"nodejs22.x", FamilyNode, "AWS_Lambda_nodejs22.x", true},
		{"python2.7", "", "", false},
		{"go1.x", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := Lookup(tt.name)
			if ok != tt.ok {
				t.Fatalf("Lookup(%q) ok = %v, want %v", tt.name, ok, tt.ok)
			}
			if ok && (r.Name != tt.name || r.Family != tt.family || r.ExecutionEnv != tt.env) {
				t.Errorf("Lookup(%q) = %+v", tt.name, r)
			}
		})
	}
	if n := len(Names()); n != 10 {
		t.Errorf("Names() has %d runtimes, want 10", n)
	}
}

func TestCommand(t *testing.T) {
	tests := []struct {
		runtime  string
		wantPath string // "" = the family's interpreter
		wantLast string
	}{
		{"provided.al2023", "/var/task/bootstrap", ""},
		{"python3.12", "", "/var/runtime/python/bootstrap.py"},
		{"nodejs20.x", "", "/var/runtime/node/bootstrap.js"},
	}
	for _, tt := range tests {
		t.Run(tt.runtime, func(t *testing.T) {
			r, _ := Lookup(tt.runtime)
			path, args, err := r.Command("/var/task", "/var/runtime")
			if err != nil {
				t.Fatal(err)
			}
			want := tt.wantPath
			if want == "" {
				if want, err = Interpreter(r.Family); err != nil {
					t.Fatal(err)
				}
			}
			if path != want {
				t.Errorf("path = %q, want %q", path, want)
			}
			if tt.wantLast == "" && len(args) != 0 || tt.wantLast != "" && args[len(args)-1] != tt.wantLast {
				t.Errorf("args = %q, want last %q", args, tt.wantLast)
			}
		})
	}
	if _, _, err := (Runtime{Name: "x", Family: "cobol"}).Command("/t", "/r"); !errors.Is(err, ErrNoInterpreterFamily) {
		t.Errorf("unknown family: err = %v, want ErrNoInterpreterFamily", err)
	}
}

func TestInstall(t *testing.T) {
	old := syscall.Umask(0o077) // a strict umask must not make the files private
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "runtime")

	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs { // racing Hearth starts
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = Install(dir)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("Install: %v", err)
		}
	}
	if err := Install(dir); err != nil { // idempotent
		t.Fatalf("second Install: %v", err)
	}
	for _, rel := range []string{pythonBootstrap, nodeBootstrap} {
		want, _ := bootstraps.ReadFile("bootstrap/" + rel)
		got, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s: content differs (err %v)", rel, err)
		}
		fi, _ := os.Stat(filepath.Join(dir, rel))
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", rel, fi.Mode().Perm())
		}
		di, _ := os.Stat(filepath.Dir(filepath.Join(dir, rel)))
		if di.Mode().Perm() != 0o755 {
			t.Errorf("%s: dir mode %v, want 0755", rel, di.Mode().Perm())
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "python"))
	if len(entries) != 1 {
		t.Errorf("python dir holds %d entries, want 1 (no temporary files left)", len(entries))
	}
}

func TestInterpreter(t *testing.T) {
	for _, family := range []string{FamilyPython, FamilyNode} {
		p1, err := Interpreter(family)
		if err != nil {
			t.Fatalf("Interpreter(%q): %v", family, err)
		}
		p2, _ := Interpreter(family)
		if p1 != p2 || !filepath.IsAbs(p1) {
			t.Errorf("Interpreter(%q) = %q then %q", family, p1, p2)
		}
	}
	if _, err := Interpreter(FamilyProvided); !errors.Is(err, ErrNoInterpreterFamily) {
		t.Errorf("Interpreter(provided): err = %v, want ErrNoInterpreterFamily", err)
	}
}

func TestResolveInterpreterShim(t *testing.T) {
	real, err := Interpreter(FamilyPython)
	if err != nil {
		testenv.Missing(t, "no python interpreter: "+err.Error())
	}
	bin := t.TempDir()
	shim := "#!/bin/sh\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "python3"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	spec := interpreterSpecs[FamilyPython]
	spec.preferred = filepath.Join(bin, "absent")
	got, err := resolveInterpreter(spec)
	if err != nil {
		t.Fatal(err)
	}
	if got != real {
		t.Errorf("shim resolved to %q, want %q", got, real)
	}

	t.Setenv("PATH", t.TempDir())
	if _, err := resolveInterpreter(spec); !errors.Is(err, ErrNoInterpreter) {
		t.Errorf("nothing on PATH: err = %v, want ErrNoInterpreter", err)
	}
}
