package sandbox

import (
	"errors"
	"os"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"
)

// Signals never reach a recycled PID. The bootstrap is signalled through
// its os.Process, which holds a pidfd on Linux; any other process of an
// environment is signalled through a pidfd opened on it and only if, once
// the pidfd pins it, it is still listed in the environment's cgroup.
// Plain mode signals process groups, whose ID cannot be reused while the
// group has a member.

// signal sends sig to the bootstrap; ESRCH once it has been reaped.
func (p *Process) signal(sig syscall.Signal) error {
	err := p.cmd.Process.Signal(sig)
	if errors.Is(err, os.ErrProcessDone) {
		return syscall.ESRCH
	}
	return err
}

// signalMember sends sig to pid if it is a process of cg.
func signalMember(cg *cgroup, pid int, sig syscall.Signal) error {
	return signalIf(pid, sig, func() bool { return slices.Contains(cg.pids(), pid) })
}

// signalIf sends sig to pid through a pidfd when still() holds after the
// pidfd was opened.
func signalIf(pid int, sig syscall.Signal, still func() bool) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if !still() {
		return syscall.ESRCH
	}
	return unix.PidfdSendSignal(fd, sig, nil, 0)
}
