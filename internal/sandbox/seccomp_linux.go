package sandbox

import (
	"fmt"
	"unsafe"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// deniedSyscalls fail with EPERM in every environment, in the spirit of
// Docker's default profile: the kernel's keyring, BPF, perf, module and
// kexec interfaces, mounting (old and new API), namespace joining, tracing
// other processes, userfaultfd, and the host-wide knobs no function needs.
// Everything else is allowed: Lambda functions run arbitrary native code,
// and an allow list would break programs in ways a deny list does not.
var deniedSyscalls = []string{
	"keyctl", "add_key", "request_key",
	"bpf", "perf_event_open", "userfaultfd",
	"mount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr",
	"setns", "ptrace", "process_vm_readv", "process_vm_writev",
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"acct", "swapon", "swapoff", "reboot", "quotactl", "syslog", "lookup_dcookie",
	"settimeofday", "clock_settime", "clock_adjtime", "iopl", "ioperm", "uselib", "open_by_handle_at",
}

// seccompPolicy is the environment's filter. clone and unshare are denied
// only with CLONE_NEWUSER, the door to a namespace where the function
// would hold every capability. clone3 passes its flags in memory, which a
// filter cannot read, so it fails with ENOSYS: the C library then falls
// back to clone, which the filter can check (Docker does the same).
func seccompPolicy() seccomp.Policy {
	newUser := seccomp.ArgumentConditions{{Argument: 0, Operation: seccomp.BitsSet, Value: unix.CLONE_NEWUSER}}
	return seccomp.Policy{
		DefaultAction: seccomp.ActionAllow,
		Syscalls: []seccomp.SyscallGroup{
			{Action: seccomp.ActionErrno | seccomp.Action(unix.EPERM), Names: deniedSyscalls},
			{Action: seccomp.ActionErrno | seccomp.Action(unix.EPERM), NamesWithCondtions: []seccomp.NameWithConditions{
				{Name: "clone", Conditions: newUser},
				{Name: "unshare", Conditions: newUser},
			}},
			{Action: seccomp.ActionErrno | seccomp.Action(unix.ENOSYS), Names: []string{"clone3"}},
		},
	}
}

// seccompSupported reports whether the kernel filters system calls.
func seccompSupported() bool { return seccomp.Supported() }

// assembleSeccomp compiles the policy to the BPF program that every init
// loads (struct sock_filter entries in native byte order): once, when the
// Manager is created.
func assembleSeccomp() ([]byte, error) {
	p := seccompPolicy()
	insts, err := p.Assemble()
	if err != nil {
		return nil, fmt.Errorf("seccomp policy: %w", err)
	}
	raw, err := bpf.Assemble(insts)
	if err != nil {
		return nil, fmt.Errorf("seccomp policy: %w", err)
	}
	out := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		out[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), len(out)*int(unsafe.Sizeof(out[0]))), nil
}
