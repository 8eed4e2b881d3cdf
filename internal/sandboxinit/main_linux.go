package sandboxinit

import (
	"errors"
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

// errNotInit reports an init started outside the namespaces Hearth makes.
var errNotInit = errors.New("sandbox init: not the first process of a new PID namespace")

// fail reports err on the status pipe (and, when that is not a pipe
// Hearth reads, on stderr) and exits.
func fail(err error) {
	msg := []byte(err.Error())
	if _, werr := unix.Write(StatusFd, msg); werr != nil {
		_, _ = unix.Write(2, append(msg, '\n'))
	}
	os.Exit(127)
}

// run prepares the generic part of the root, waits for the environment's
// configuration, completes the root and executes the bootstrap. It
// returns only on failure.
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
	if err := prepareRoot(prep.Root); err != nil {
		return err
	}
	if prep.TmpDev != "" {
		if err := mountScratch(prep.TmpDev, prep.Root+"/tmp"); err != nil {
			return wrap("mount /tmp", err)
		}
	}
	if _, err := unix.Write(StatusFd, []byte{Ready}); err != nil {
		return wrap("report ready", err)
	}
	cfg, err := readConfig(ConfigFd)
	if err != nil {
		return wrap("read config", err)
	}
	if err := finishRoot(prep.Root, prep.TmpDev != "", cfg); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte("localhost")); err != nil {
		return wrap("sethostname", err)
	}
	path, err := lookPath(cfg.Path, cfg.Env)
	if err != nil {
		return err
	}
	if err := dropPrivileges(cfg.UID, cfg.GID, cfg.NoFile); err != nil {
		return err
	}
	unix.Umask(0o022)
	if len(cfg.Seccomp) > 0 {
		if err := loadSeccomp(cfg.Seccomp); err != nil {
			return err
		}
	}
	return wrap("exec "+cfg.Path, syscall.Exec(path, cfg.Args, cfg.Env))
}

// readConfig reads fd until end of file, closes it and decodes the Config.
func readConfig(fd int) (*Config, error) {
	buf := make([]byte, 0, 16<<10)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return nil, err
		}
		if n == 0 {
			break
		}
		buf = buf[:len(buf)+n]
	}
	unix.Close(fd)
	cfg := new(Config)
	return cfg, cfg.UnmarshalBinary(buf)
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
