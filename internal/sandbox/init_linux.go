package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Init runs the sandbox init when this process was started as one (see
// the package documentation) and then never returns. In any other process
// it returns at once. Call it first thing in main and in TestMain.
func Init() {
	prep, ok := os.LookupEnv(initEnv)
	if !ok {
		return
	}
	// no_new_privs, the capability bounding set, the credentials and the
	// parent-death signal are per thread: everything up to execve runs on
	// this one.
	runtime.LockOSThread()
	err := runInit(prep)
	// Only reached on failure; a successful execve closed the status pipe.
	status := os.NewFile(initStatusFd, "status")
	_, _ = fmt.Fprintf(status, "%v", err)
	os.Exit(127)
}

// runInit prepares the generic part of the root, waits for the
// environment's configuration, completes the root and executes the
// bootstrap. It returns only on failure.
func runInit(raw string) error {
	var prep prepConfig
	if err := json.Unmarshal([]byte(raw), &prep); err != nil {
		return fmt.Errorf("decode prep config: %w", err)
	}
	unix.CloseOnExec(initConfigFd)
	unix.CloseOnExec(initStatusFd)
	unix.Umask(0)
	for _, fd := range prep.CgroupFds {
		if _, err := unix.Write(fd, []byte("0")); err != nil {
			return fmt.Errorf("join cgroup: %w", err)
		}
		unix.Close(fd)
	}
	if err := prepareRoot(prep.Root); err != nil {
		return err
	}
	if prep.TmpDev != "" {
		if err := mountScratch(prep.TmpDev, prep.Root+"/tmp"); err != nil {
			return fmt.Errorf("mount /tmp: %w", err)
		}
	}
	var filter []unix.SockFilter
	if prep.Seccomp {
		var err error
		if filter, err = assembleSeccomp(); err != nil {
			return err
		}
	}
	if _, err := unix.Write(initStatusFd, []byte{initReady}); err != nil {
		return fmt.Errorf("report ready: %w", err)
	}
	var cfg initConfig
	if err := json.NewDecoder(os.NewFile(initConfigFd, "config")).Decode(&cfg); err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	unix.Close(initConfigFd)
	if err := finishRoot(prep.Root, prep.TmpDev != "", &cfg); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte("localhost")); err != nil {
		return fmt.Errorf("sethostname: %w", err)
	}
	path, err := resolvePath(cfg.Path, cfg.Env)
	if err != nil {
		return err
	}
	if err := dropPrivileges(cfg.UID, cfg.GID); err != nil {
		return err
	}
	unix.Umask(0o022)
	if filter != nil {
		if err := loadSeccomp(filter); err != nil {
			return err
		}
	}
	return fmt.Errorf("exec %s: %w", cfg.Path, syscall.Exec(path, cfg.Args, cfg.Env))
}

type step struct {
	what string
	fn   func() error
}

func runSteps(steps []step) error {
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
	}
	return nil
}

const roFlags = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV

// prepareRoot mounts what every environment shares over r: a tmpfs root,
// the host's system directories, /proc and /dev. The mounts live only in
// this mount namespace and vanish with it.
func prepareRoot(r string) error {
	return runSteps([]step{
		{"make mounts private", func() error { return unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "") }},
		{"mount root", func() error { return unix.Mount("tmpfs", r, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=755,size=1m") }},
		{"host dirs", func() error { return bindHostDirs(r) }},
		{"mount /proc", func() error {
			return mountAt(r+"/proc", "proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
		}},
		{"mount /dev", func() error { return makeDev(r + "/dev") }},
	})
}

// finishRoot adds the environment's own mounts and pivots into the root.
// New mounts go into this list, before pivot_root; tmpOnDisk says /tmp is
// already mounted (a scratch disk, at prepare time).
func finishRoot(r string, tmpOnDisk bool, cfg *initConfig) error {
	remountRoot := uintptr(unix.MS_REMOUNT | roFlags)
	if cfg.RootFS != "" {
		img, err := mountImageRoot(r, cfg.RootFS, tmpOnDisk)
		if err != nil {
			return fmt.Errorf("image root: %w", err)
		}
		// The root is now a bind of a host directory: only the mount, not
		// its filesystem, may be made read-only.
		r, remountRoot = img, remountRoot|unix.MS_BIND
	}
	return runSteps([]step{
		{"mount /var/task", func() error {
			if cfg.CodeDir == "" {
				return nil // an image function's own /var/task
			}
			return bindRO(cfg.CodeDir, r+"/var/task", roFlags)
		}},
		{"mount /var/runtime", func() error {
			if cfg.RuntimeDir == "" {
				return nil
			}
			return bindRO(cfg.RuntimeDir, r+"/var/runtime", roFlags)
		}},
		{"mount /opt", func() error { return mountOpt(r, cfg.OptDir) }},
		{"mount /etc/hosts", func() error { return bindHosts(r, cfg.Hosts) }},
		{"mount binds", func() error {
			for _, b := range cfg.Binds {
				if err := bindRO(b, filepath.Join(r, b), roFlags); err != nil {
					return err
				}
			}
			return nil
		}},
		{"mount /tmp", func() error {
			if tmpOnDisk {
				return nil
			}
			return mountAt(r+"/tmp", "tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, fmt.Sprintf("mode=1777,size=%dm", cfg.TmpMB))
		}},
		{"pivot_root", func() error { return pivot(r) }},
		{"read-only root", func() error { return unix.Mount("", "/", "", remountRoot, "") }},
		{"chdir", func() error { return unix.Chdir(workDir(cfg.WorkDir)) }},
	})
}

// bindHosts makes content the environment's read-only /etc/hosts. The
// file is written into the environment's /dev tmpfs, bound over the
// host's, and unlinked: the bind mount keeps it. (Not the root's tmpfs:
// an unlinked file in use there would stop its read-only remount.)
func bindHosts(r, content string) error {
	if _, err := os.Stat(r + "/etc/hosts"); err != nil {
		return nil // the host has none to cover
	}
	src := r + "/dev/.hosts"
	if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
		return err
	}
	defer os.Remove(src)
	if err := unix.Mount(src, r+"/etc/hosts", "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind hosts: %w", err)
	}
	return unix.Mount("", r+"/etc/hosts", "", unix.MS_REMOUNT|unix.MS_BIND|roFlags, "")
}

// hostDirs are the host directories visible (read-only) in every
// environment; a symlink (merged /usr) is copied as a symlink.
var hostDirs = []string{"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc"}

func bindHostDirs(root string) error {
	for _, d := range hostDirs {
		fi, err := os.Lstat("/" + d)
		switch {
		case err != nil:
			continue
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink("/" + d)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, filepath.Join(root, d)); err != nil {
				return err
			}
		case fi.IsDir():
			if err := bindRO("/"+d, filepath.Join(root, d), unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV); err != nil {
				return err
			}
		}
	}
	return nil
}

// bindRO bind-mounts src at dst (created) and makes it read-only; a bind
// mount takes the read-only flag only on a remount.
func bindRO(src, dst string, flags uintptr) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(src, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s: %w", src, err)
	}
	return unix.Mount("", dst, "", unix.MS_REMOUNT|unix.MS_BIND|flags, "")
}

func mountAt(dst, src, fstype string, flags uintptr, data string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	return unix.Mount(src, dst, fstype, flags, data)
}

// makeDev builds a minimal /dev of device nodes (no host /dev is visible).
func makeDev(dev string) error {
	if err := mountAt(dev, "tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=755,size=64k"); err != nil {
		return err
	}
	nodes := []struct {
		name         string
		major, minor uint32
	}{{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}}
	for _, n := range nodes {
		if err := unix.Mknod(dev+"/"+n.name, unix.S_IFCHR|0o666, int(unix.Mkdev(n.major, n.minor))); err != nil {
			return fmt.Errorf("mknod %s: %w", n.name, err)
		}
	}
	links := [][2]string{{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}}
	for _, l := range links {
		if err := os.Symlink(l[0], dev+"/"+l[1]); err != nil {
			return err
		}
	}
	return nil
}

// pivot makes root the new / and detaches the old one, so no host path is
// reachable any more.
func pivot(root string) error {
	if err := unix.Chdir(root); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return err
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return err
	}
	return unix.Chdir("/")
}

// dropPrivileges switches to uid/gid with no capabilities, no_new_privs
// and RLIMIT_NOFILE.
func dropPrivileges(uid, gid int) error {
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: nofileLimit, Max: nofileLimit}); err != nil {
		return fmt.Errorf("rlimit nofile: %w", err)
	}
	for c := 0; ; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			if errors.Is(err, unix.EINVAL) {
				break
			}
			return fmt.Errorf("drop capability %d: %w", c, err)
		}
	}
	// Credentials are changed on this thread only (raw syscalls, not Go's
	// all-threads variants, which stop every thread and cost milliseconds):
	// execve runs on this thread and ends the others.
	// With no ambient capabilities and no keep-caps, the uid change from 0
	// clears the permitted and effective sets.
	for _, c := range []struct {
		name     string
		nr, a, b uintptr
	}{
		{"setgroups", unix.SYS_SETGROUPS, 0, 0},
		{"setresgid", unix.SYS_SETRESGID, uintptr(gid), uintptr(gid)},
		{"setresuid", unix.SYS_SETRESUID, uintptr(uid), uintptr(uid)},
	} {
		c3 := c.b
		if c.nr == unix.SYS_SETGROUPS {
			c3 = 0
		}
		if _, _, e := unix.RawSyscall(c.nr, c.a, c.b, c3); e != 0 {
			return fmt.Errorf("%s: %w", c.name, e)
		}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	// The uid change cleared the parent-death signal; Hearth dying must
	// still take the environment with it.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("pdeathsig: %w", err)
	}
	return nil
}

// resolvePath finds a bare program name on the bootstrap's PATH.
func resolvePath(path string, env []string) (string, error) {
	if strings.Contains(path, "/") {
		return path, nil
	}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			_ = os.Setenv("PATH", v)
		}
	}
	p, err := exec.LookPath(path)
	if err != nil {
		return "", fmt.Errorf("find %s: %w", path, err)
	}
	return p, nil
}

// mountOpt binds the function's merged layers read-only at /opt, or leaves
// an empty /opt when it has none, so that /opt (and the absence of
// /opt/extensions) looks as on Lambda.
func mountOpt(root, optDir string) error {
	if optDir == "" {
		return os.MkdirAll(root+"/opt", 0o755)
	}
	return bindRO(optDir, root+"/opt", roFlags)
}
