package sandbox

import (
	"fmt"
	"os"
	"runtime"
	"strconv"

	"github.com/hearth-run/hearth/internal/sandboxinit"
	"golang.org/x/sys/unix"
)

// mountFunction mounts a function's code at /var/task and its layers (if
// any) at /opt in the mount namespace of pid, a pre-started interpreter
// whose root is already pivoted and read-only: nothing inside can mount
// any more, so Hearth does it from outside. Each tree is cloned from the
// host's path with open_tree(2), made read-only, nosuid and nodev, and
// moved with move_mount(2) onto the mount point, which first loses the
// empty placeholder bound there at the interpreter's start.
//
// Joining another mount namespace needs a thread of its own (setns(2)
// refuses a thread that shares its filesystem attributes, as Go's threads
// do): the work runs on a locked thread that unshares them, joins the
// environment's namespace, mounts, and returns to Hearth's namespace and
// working directory before it is unlocked. The thread must not simply be
// discarded: the processes started from it (Pdeathsig) would die with it.
func mountFunction(pid int, codeDir, optDir string) error {
	home, err := unix.Open("/proc/self/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open own mount namespace: %w", err)
	}
	defer unix.Close(home)
	cwd, err := unix.Open(".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open working directory: %w", err)
	}
	defer unix.Close(cwd)
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		err := mountFunctionOnThread(pid, codeDir, optDir)
		// Back home: Hearth's namespace (and root), then its working
		// directory. Only then may other goroutines run on this thread;
		// if that fails, the thread stays locked and ends with this one.
		if unix.Setns(home, unix.CLONE_NEWNS) == nil && unix.Fchdir(cwd) == nil {
			runtime.UnlockOSThread()
		} else if err == nil {
			err = fmt.Errorf("return to Hearth's mount namespace failed")
		}
		errc <- err
	}()
	return <-errc
}

func mountFunctionOnThread(pid int, codeDir, optDir string) error {
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return fmt.Errorf("unshare fs: %w", err)
	}
	ns, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open mount namespace: %w", err)
	}
	defer unix.Close(ns)
	type move struct {
		fd          int
		target      string
		placeholder bool
	}
	var moves []move
	defer func() {
		for _, mv := range moves {
			unix.Close(mv.fd)
		}
	}()
	for _, t := range []struct {
		src, target string
		placeholder bool
	}{{codeDir, "/var/task", true}, {optDir, "/opt", false}} {
		if t.src == "" {
			continue
		}
		fd, err := cloneTree(t.src)
		if err != nil {
			return err
		}
		moves = append(moves, move{fd, t.target, t.placeholder})
	}
	if err := unix.Setns(ns, unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("join mount namespace: %w", err)
	}
	for _, mv := range moves {
		if mv.placeholder {
			if err := unix.Unmount(mv.target, unix.MNT_DETACH); err != nil {
				return fmt.Errorf("unmount placeholder %s: %w", mv.target, err)
			}
		}
		if err := unix.MoveMount(mv.fd, "", unix.AT_FDCWD, mv.target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
			return fmt.Errorf("mount %s: %w", mv.target, err)
		}
	}
	return nil
}

// cloneTree returns a detached, read-only copy of the mount tree at src.
func cloneTree(src string) (int, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, src, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return -1, fmt.Errorf("clone %s: %w", src, err)
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, attr); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("read-only %s: %w", src, err)
	}
	return fd, nil
}

// trees are the host's directories an environment sees, cloned for its
// init: the descriptors go with its Config (SCM_RIGHTS), which names
// where each is attached.
type trees struct {
	fds     []int
	targets []string
	image   bool // the first tree is an image root
}

// openTrees clones the trees of an environment: an image root (when
// set), its code at /var/task, its runtime at /var/runtime, its layers at
// /opt and each bind at its own path; empty paths are skipped. Cloning
// happens in Hearth's mount namespace, where the paths are; the init,
// pivoted into its root already, cannot reach them.
func openTrees(image, code, runtimeDir, opt string, binds []string) (*trees, error) {
	t := &trees{image: image != ""}
	add := func(src, target string) error {
		if src == "" {
			return nil
		}
		fd, err := cloneTree(src)
		if err != nil {
			return err
		}
		t.fds, t.targets = append(t.fds, fd), append(t.targets, target)
		return nil
	}
	for _, m := range []struct{ src, target string }{{image, "/"}, {code, "/var/task"}, {runtimeDir, "/var/runtime"}, {opt, "/opt"}} {
		if err := add(m.src, m.target); err != nil {
			t.close()
			return nil, err
		}
	}
	for _, b := range binds {
		if err := add(b, b); err != nil {
			t.close()
			return nil, err
		}
	}
	return t, nil
}

// close closes the descriptors (the init holds its own copies once sent).
func (t *trees) close() {
	for _, fd := range t.fds {
		unix.Close(fd)
	}
	t.fds = nil
}

// sendConfig writes cfg, framed, on the init's config socket w, with the
// descriptors of t, and closes them.
func sendConfig(w *os.File, cfg *sandboxinit.Config, t *trees) error {
	defer t.close()
	cfg.Mounts, cfg.Image = t.targets, t.image
	msg, err := cfg.MarshalBinary()
	if err != nil {
		return err
	}
	var oob []byte
	if len(t.fds) > 0 {
		oob = unix.UnixRights(t.fds...)
	}
	raw, err := w.SyscallConn()
	if err != nil {
		return err
	}
	frame := sandboxinit.Frame(msg)
	var serr error
	if err := raw.Write(func(fd uintptr) bool {
		// A stream socket: the descriptors travel with the first byte;
		// what does not fit in one call follows without them.
		n, err := unix.SendmsgN(int(fd), frame, oob, nil, 0)
		if err == unix.EAGAIN {
			return false
		}
		for err == nil && n < len(frame) {
			frame = frame[n:]
			n, err = unix.Write(int(fd), frame)
		}
		serr = err
		return true
	}); err != nil {
		return err
	}
	return serr
}
