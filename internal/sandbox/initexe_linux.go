package sandbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/hearth-run/hearth/internal/sandboxinit"
)

// The sandbox init program for the target architecture is built by go
// generate (see initbin/README.md) and embedded (initBin, embed_$GOARCH.go)
// when present.
//
//go:generate env CGO_ENABLED=0 go build -trimpath -buildvcs=false "-ldflags=-s -w" -o initbin/$GOARCH/hearth-sandbox-init ../sandboxinit/cmd/hearth-sandbox-init

// Where the embedded init is looked up; variables, not constants, so that
// tests can supply the program they built.
var (
	initFiles fs.FS = initBin
	initName        = "initbin/" + runtime.GOARCH + "/hearth-sandbox-init"
)

// EmbeddedInit reports the size of the sandbox init embedded in this
// binary, or false when there is none.
func EmbeddedInit() (size int64, ok bool) {
	fi, err := fs.Stat(initFiles, initName)
	if err != nil {
		return 0, false
	}
	return fi.Size(), true
}

// initPath returns the program to start as each environment's init: the
// embedded init, written once into the state directory's init/, or else this
// program itself, which must call Init first thing, with one warning.
func (m *Manager) initPath() (string, error) {
	prog, err := fs.ReadFile(initFiles, initName)
	embedded := err == nil
	if embedded {
		var path string
		if path, err = installInit(m.initDir, prog); err == nil {
			if err = probeInit(path); err == nil {
				m.log.Debug("sandbox: environments start with the embedded init", "path", path, "bytes", len(prog))
				return path, nil
			}
		}
	}
	self, serr := os.Executable()
	if serr != nil {
		return "", fmt.Errorf("cannot find the init binary: %w", serr)
	}
	why := "no sandbox init is embedded (build hearth with make build, or go generate ./internal/sandbox first)"
	if embedded {
		why = "the embedded sandbox init does not run: " + err.Error()
	}
	m.log.Warn("sandbox: "+why+"; every environment's init re-executes "+filepath.Base(self)+
		", which costs milliseconds of CPU per cold start", "init", self)
	return self, nil
}

// installInit writes prog into dir as init-<hash of prog>, unless it is
// there already, and removes the inits of other versions. The directory is
// in Hearth's state directory (mode 0700): only its owner can replace the
// file, as it could replace hearth itself.
func installInit(dir string, prog []byte) (string, error) {
	sum := sha256.Sum256(prog)
	name := "init-" + hex.EncodeToString(sum[:8])
	path := filepath.Join(dir, name)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, prog) {
		return path, nil
	}
	f, err := os.CreateTemp(dir, ".init-*")
	if err != nil {
		return "", fmt.Errorf("write sandbox init: %w", err)
	}
	_, err = f.Write(prog)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o700)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("write sandbox init: %w", err)
	}
	others, _ := filepath.Glob(filepath.Join(dir, "init-*"))
	for _, o := range others {
		if filepath.Base(o) != name {
			_ = os.Remove(o)
		}
	}
	return path, nil
}

// probeInit runs the init at path once, asking it only to check its
// protocol: it fails when the file cannot be executed (a noexec mount,
// another architecture) or was built from other sources than this Hearth.
// A file just written may still be open for writing in a child that
// another goroutine is forking (ETXTBSY); that passes within moments.
func probeInit(path string) error {
	var err error
	for range 5 {
		var out []byte
		cmd := &exec.Cmd{Path: path, Args: []string{"hearth-sandbox-init", sandboxinit.ProbeArg}, Env: initEnviron}
		if out, err = cmd.CombinedOutput(); err == nil {
			return nil
		}
		if !errors.Is(err, syscall.ETXTBSY) {
			if len(out) > 0 {
				err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(out))
			}
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
	return err
}
