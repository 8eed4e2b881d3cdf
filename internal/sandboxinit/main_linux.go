package sandboxinit

import (
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// Main runs the init when this process was started as one (EnvName is
// set) and then never returns; in any other process it returns at once.
func Main() {
	proto, ok := syscall.Getenv(EnvName)
	if !ok {
		return
	}
	// no_new_privs, the capability bounding set, the credentials and the
	// parent-death signal are per thread: everything up to execve runs on
	// this one.
	runtime.LockOSThread()
	if proto != Protocol {
		fail(wrap("sandbox init speaks "+Protocol+", Hearth sent "+proto, errArgs))
	}
	if len(os.Args) == 2 && os.Args[1] == ProbeArg {
		os.Exit(0)
	}
	fail(run(os.Args))
}

// fail reports err on the status pipe (and, when that is not a pipe
// Hearth reads, on stderr) and exits.
func fail(err error) {
	msg := []byte(err.Error())
	if _, werr := unix.Write(StatusFd, msg); werr != nil {
		_, _ = unix.Write(2, append(msg, '\n'))
	}
	os.Exit(127)
}

// run prepares the generic part of the root and pivots into it, waits for
// the environment's configuration, completes the root and executes the
// bootstrap. It returns only on failure.
func run(args []string) error {
	prep, err := ParsePrep(args)
	if err != nil {
		return err
	}
	// Hearth clones every init into a new PID (and mount) namespace; a
	// process that is not its first is not one, and must not remount
	// its host's root.
	if os.Getpid() != 1 {
		return errNotInit
	}
	unix.CloseOnExec(ConfigFd)
	unix.CloseOnExec(StatusFd)
	unix.Umask(0)
	for _, fd := range prep.CgroupFds {
		if _, err := unix.Write(fd, []byte("0")); err != nil {
			return wrap("join cgroup", err)
		}
		unix.Close(fd)
	}
	if err := prepareRoot(prep); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte("localhost")); err != nil {
		return wrap("sethostname", err)
	}
	if err := dropBoundingSet(); err != nil {
		return err
	}
	if _, err := unix.Write(StatusFd, []byte{Ready}); err != nil {
		return wrap("report ready", err)
	}
	cfg, trees, err := readConfig(ConfigFd)
	if err != nil {
		return wrap("read config", err)
	}
	var stamps [StampCount]int64
	stamps[StampConfig] = monotonic()
	if err := finishRoot(prep, cfg, trees); err != nil {
		return err
	}
	path, err := lookPath(cfg.Path, cfg.Env)
	if err != nil {
		return err
	}
	if err := waitClosed(ConfigFd); err != nil {
		return wrap("wait for the limits", err)
	}
	stamps[StampRoot] = monotonic()
	if err := dropPrivileges(cfg.UID, cfg.GID, cfg.NoFile); err != nil {
		return err
	}
	unix.Umask(0o022)
	if len(cfg.Seccomp) > 0 {
		if err := loadSeccomp(cfg.Seccomp); err != nil {
			return err
		}
	}
	stamps[StampExec] = monotonic()
	if _, err := unix.Write(StatusFd, appendStamps(nil, stamps)); err != nil {
		return wrap("report times", err)
	}
	return wrap("exec "+cfg.Path, syscall.Exec(path, cfg.Args, cfg.Env))
}

// monotonic reads CLOCK_MONOTONIC in nanoseconds, the clock Hearth stamps
// its side of a start with.
func monotonic() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// readConfig reads one framed Config from the socket fd, and the
// descriptors of its mount trees that come with the frame's first bytes.
func readConfig(fd int) (*Config, []int, error) {
	var head [4]byte
	oob := make([]byte, unix.CmsgSpace(4*maxTrees))
	n, oobn, flags, err := recvmsg(fd, head[:], oob)
	if err != nil {
		return nil, nil, err
	}
	trees, err := parseRights(oob[:oobn])
	if err == nil && flags&unix.MSG_CTRUNC != 0 {
		err = errConfig
	}
	if err == nil {
		err = readFull(fd, head[n:])
	}
	if err != nil {
		closeAll(trees)
		return nil, nil, err
	}
	size := int(head[0]) | int(head[1])<<8 | int(head[2])<<16 | int(head[3])<<24
	cfg := new(Config)
	if size > maxConfig {
		err = errConfig
	} else {
		buf := make([]byte, size)
		if err = readFull(fd, buf); err == nil {
			err = cfg.UnmarshalBinary(buf)
		}
	}
	if err == nil && len(trees) != len(cfg.Mounts) {
		err = errConfig
	}
	if err != nil {
		closeAll(trees)
		return nil, nil, err
	}
	return cfg, trees, nil
}

// recvmsg reads into b and oob from fd, retrying on EINTR; end of file
// before any byte is an error.
func recvmsg(fd int, b, oob []byte) (n, oobn, flags int, err error) {
	for {
		n, oobn, flags, _, err = unix.Recvmsg(fd, b, oob, unix.MSG_CMSG_CLOEXEC)
		switch {
		case err == unix.EINTR:
			continue
		case err == nil && n == 0:
			err = errConfig
		}
		return n, oobn, flags, err
	}
}

// parseRights returns the descriptors passed in the control messages oob.
func parseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for i := range msgs {
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			closeAll(fds)
			return nil, err
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// waitClosed waits until Hearth closes fd: its signal that the
// environment's limits are set.
func waitClosed(fd int) error {
	var b [1]byte
	for {
		n, err := unix.Read(fd, b[:])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return err
		case n != 0:
			return errConfig
		}
		return unix.Close(fd)
	}
}

// readFull fills b from fd.
func readFull(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Read(fd, b)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return err
		case n == 0:
			return errConfig // cut short
		}
		b = b[n:]
	}
	return nil
}

// stepError names the step that failed.
type stepError struct {
	what string
	err  error
}

func (e *stepError) Error() string { return e.what + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return &stepError{what, err}
}
