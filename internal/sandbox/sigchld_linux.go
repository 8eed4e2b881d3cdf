//go:build amd64 || arm64

package sandbox

import (
	"sync"
	"syscall"
	"unsafe"
)

// Freezing an environment stops its bootstrap with SIGSTOP and thaws it
// with SIGCONT (freeze.go). Hearth is the bootstrap's parent, so each of
// the two would also send Hearth a SIGCHLD: a signal delivered to one of
// its threads, waking it, and a restart of the thread blocked in waitid
// for the bootstrap's exit — on every invocation, for nothing, since
// Hearth learns of stops by reading /proc and of exits through waitid.
// quietStops sets SA_NOCLDSTOP on the SIGCHLD handler the Go runtime
// installed, as a C program would: the kernel then sends SIGCHLD only
// when a child exits. The handler and its other flags stay as they are.

// kernelSigaction is struct sigaction as the rt_sigaction system call
// takes it on amd64 and arm64.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// saNoCldStop is SA_NOCLDSTOP.
const saNoCldStop = 0x1

var quietOnce sync.Once

// quietStops sets SA_NOCLDSTOP on SIGCHLD's handler, once per process. It
// leaves a default or ignored disposition alone.
func quietStops() {
	quietOnce.Do(func() {
		var sa kernelSigaction
		const sigsetSize = 8
		_, _, errno := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(syscall.SIGCHLD),
			0, uintptr(unsafe.Pointer(&sa)), sigsetSize, 0, 0)
		if errno != 0 || sa.handler <= 1 || sa.flags&saNoCldStop != 0 { // SIG_DFL 0, SIG_IGN 1
			return
		}
		sa.flags |= saNoCldStop
		_, _, _ = syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(syscall.SIGCHLD),
			uintptr(unsafe.Pointer(&sa)), 0, sigsetSize, 0, 0)
	})
}
