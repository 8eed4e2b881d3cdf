package pool

import (
	"net"
	"time"

	"github.com/hearth-run/hearth/internal/sandbox"
)

// Process is what the pool needs of a running bootstrap process tree;
// *sandbox.Process is one. Tests drive the pool with a fake that speaks
// the Runtime API from a goroutine.
type Process interface {
	Pid() int
	// RuntimeAPI is the listener the pool serves the Runtime API on.
	RuntimeAPI() (ln net.Listener, addr string)
	// Done is closed when the bootstrap has exited.
	Done() <-chan struct{}
	ExitError() error
	OOMKilled() bool
	MaxMemoryBytes() uint64
	Freeze() error
	Thaw() error
	// Stop ends the tree: SIGTERM, SIGKILL after grace; safe to repeat.
	Stop(grace time.Duration)
	SyncOutput(max time.Duration)
}

// Starter starts the bootstrap of a new environment.
type Starter interface {
	Start(spec sandbox.Spec) (Process, error)
}

// managerStarter adapts a *sandbox.Manager to Starter.
type managerStarter struct{ m *sandbox.Manager }

func (s managerStarter) Start(spec sandbox.Spec) (Process, error) {
	proc, err := s.m.Start(spec)
	if err != nil {
		return nil, err
	}
	return proc, nil
}

var (
	_ Process = (*sandbox.Process)(nil)
	_ Starter = managerStarter{}
)
