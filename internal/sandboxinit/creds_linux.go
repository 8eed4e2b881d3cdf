package sandboxinit

import (
	"errors"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dropBoundingSet empties this thread's capability bounding set. The
// init keeps its effective capabilities (it still mounts), but nothing it
// executes can regain a dropped one. It runs before the init is ready, off
// the cold path.
func dropBoundingSet() error {
	for c := 0; ; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			if errors.Is(err, unix.EINVAL) {
				return nil
			}
			return wrap("drop capability "+strconv.Itoa(c), err)
		}
	}
}

// dropPrivileges switches to uid/gid with no capabilities, no_new_privs
// and RLIMIT_NOFILE nofile. The bounding set is empty already.
func dropPrivileges(uid, gid, nofile int) error {
	if nofile > 0 {
		lim := unix.Rlimit{Cur: uint64(nofile), Max: uint64(nofile)}
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
			return wrap("rlimit nofile", err)
		}
	}
	// Credentials are changed on this thread only (raw syscalls, not Go's
	// all-threads variants, which stop every thread and cost milliseconds):
	// execve runs on this thread and ends the others.
	// With no ambient capabilities and no keep-caps, the uid change from 0
	// clears the permitted and effective sets.
	for _, c := range []struct {
		name        string
		nr, a, b, c uintptr
	}{
		{"setgroups", unix.SYS_SETGROUPS, 0, 0, 0},
		{"setresgid", unix.SYS_SETRESGID, uintptr(gid), uintptr(gid), uintptr(gid)},
		{"setresuid", unix.SYS_SETRESUID, uintptr(uid), uintptr(uid), uintptr(uid)},
	} {
		if _, _, e := unix.RawSyscall(c.nr, c.a, c.b, c.c); e != 0 {
			return wrap(c.name, e)
		}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return wrap("no_new_privs", err)
	}
	// The uid change cleared the parent-death signal; Hearth dying must
	// still take the environment with it.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0, 0, 0); err != nil {
		return wrap("pdeathsig", err)
	}
	return nil
}

// lookPath finds a bare program name on the absolute directories of the
// bootstrap's PATH (as os/exec would, which refuses relative ones).
func lookPath(path string, env []string) (string, error) {
	if strings.Contains(path, "/") {
		return path, nil
	}
	var dirs string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			dirs = v
		}
	}
	for dir := range strings.SplitSeq(dirs, ":") {
		if !strings.HasPrefix(dir, "/") {
			continue
		}
		p := dir + "/" + path
		var st unix.Stat_t
		if unix.Stat(p, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Mode&0o111 != 0 {
			return p, nil
		}
	}
	return "", wrap("find "+path, errNotFound)
}

// loadSeccomp installs prog (struct sock_filter entries in native byte
// order) on the calling thread, which then executes the bootstrap: the
// filter is inherited across execve and by every process the bootstrap
// starts. no_new_privs must already be set.
func loadSeccomp(prog []byte) error {
	const size = int(unsafe.Sizeof(unix.SockFilter{}))
	if len(prog)%size != 0 || len(prog)/size > 0xffff {
		return wrap("load seccomp filter", errConfig)
	}
	filter := make([]unix.SockFilter, len(prog)/size)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&filter[0])), len(prog)), prog)
	fprog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if _, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&fprog))); e != 0 {
		return wrap("load seccomp filter", e)
	}
	return nil
}
