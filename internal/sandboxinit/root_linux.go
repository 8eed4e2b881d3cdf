package sandboxinit

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

type step struct {
	what string
	fn   func() error
}

func runSteps(steps []step) error {
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return wrap(s.what, err)
		}
	}
	return nil
}

const roFlags = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV

// prepareRoot builds what every environment shares over prep.Root and
// pivots into it: a tmpfs root, the host's system directories, /proc,
// /dev, /tmp and /etc/hosts. The host's root is detached before the init
// reports ready, so that a cold start only attaches the function's trees
// (finishRoot). The mounts live only in this mount namespace and vanish
// with it.
func prepareRoot(prep Prep) error {
	r := prep.Root
	return runSteps([]step{
		{"make mounts private", func() error { return unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "") }},
		{"mount root", func() error { return unix.Mount("tmpfs", r, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=755,size=1m") }},
		{"host dirs", func() error { return bindHostDirs(r) }},
		{"mount /proc", func() error {
			return mountAt(r+"/proc", "proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
		}},
		{"mount /dev", func() error { return makeDev(r + "/dev") }},
		{"mount /tmp", func() error {
			if prep.TmpDev != "" {
				return mountScratch(prep.TmpDev, r+"/tmp")
			}
			return mountAt(r+"/tmp", "tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, tmpfsData(prep.TmpMB))
		}},
		{"mount /etc/hosts", func() error { return bindHosts(r, prep.Hosts) }},
		{"mount points", func() error {
			for _, d := range []string{"/var/task", "/opt"} {
				if err := os.MkdirAll(r+d, 0o755); err != nil {
					return err
				}
			}
			return nil
		}},
		{"pivot_root", func() error { return pivot(r) }},
	})
}

// tmpfsData is the mount data of a tmpfs /tmp of mb MiB.
func tmpfsData(mb int) string { return "mode=1777,size=" + strconv.Itoa(mb) + "m" }

// finishRoot attaches the environment's trees (cfg.Mounts, received as
// the descriptors trees, which it closes) to the prepared root, makes the
// root read-only and enters the working directory. An image root is
// attached first and pivoted into, with the prepared /proc, /dev and /tmp
// of its own.
func finishRoot(prep Prep, cfg *Config, trees []int) error {
	defer closeAll(trees)
	r, remountRoot := "", uintptr(unix.MS_REMOUNT|roFlags)
	mounts := cfg.Mounts
	steps := []step{{"resize /tmp", func() error {
		if prep.TmpDev != "" || cfg.TmpMB == prep.TmpMB {
			return nil
		}
		return unix.Mount("", "/tmp", "", unix.MS_REMOUNT|unix.MS_NOSUID|unix.MS_NODEV, tmpfsData(cfg.TmpMB))
	}}}
	if cfg.Image {
		// The root becomes a bind of a host directory: only the mount, not
		// its filesystem, may be made read-only.
		img := trees[0]
		r, remountRoot, mounts, trees = imageDir, remountRoot|unix.MS_BIND, mounts[1:], trees[1:]
		steps = append(steps, step{"image root", func() error { return mountImageRoot(img, prep.Hosts) }})
	}
	steps = append(steps, step{"attach trees", func() error {
		for i, target := range mounts {
			if err := attach(trees[i], r+target); err != nil {
				return wrap("mount "+target, err)
			}
		}
		return nil
	}})
	if cfg.Image {
		steps = append(steps, step{"pivot_root", func() error { return pivot(r) }})
	}
	steps = append(steps,
		step{"read-only root", func() error { return unix.Mount("", "/", "", remountRoot, "") }},
		step{"chdir", func() error { return unix.Chdir(workDir(cfg.WorkDir)) }})
	return runSteps(steps)
}

// attach moves the detached mount tree fd onto dst, created when missing
// (the root is still writable).
func attach(fd int, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	return unix.MoveMount(fd, "", unix.AT_FDCWD, dst, unix.MOVE_MOUNT_F_EMPTY_PATH)
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
		return wrap("bind hosts", err)
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
		return wrap("bind "+src, err)
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
			return wrap("mknod "+n.name, err)
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

// imageDir is where an image root is attached before the init pivots
// into it.
const imageDir = "/.image"

// mountImageRoot attaches the image tree fd (read-only already) at
// imageDir of the prepared root and gives it a fresh /proc, a minimal
// /dev, the prepared /tmp (moved) and its own /etc/hosts; the prepared
// root, with the host's directories, is detached by the pivot into it.
func mountImageRoot(fd int, hosts string) error {
	img := imageDir
	if err := attach(fd, img); err != nil {
		return err
	}
	return runSteps([]step{
		{"mount /proc", func() error {
			return unix.Mount("proc", img+"/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
		}},
		{"mount /dev", func() error { return makeDev(img + "/dev") }},
		{"mount /tmp", func() error { return unix.Mount("/tmp", img+"/tmp", "", unix.MS_MOVE, "") }},
		{"mount /etc/hosts", func() error { return bindHosts(img, hosts) }},
	})
}

// workDir is the bootstrap's working directory: dir, or /var/task.
func workDir(dir string) string {
	if dir == "" {
		return "/var/task"
	}
	return dir
}

// mountScratch mounts the disk at dst as a world-writable, sticky /tmp.
func mountScratch(dev, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(dev, dst, "ext4", unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return wrap("mount "+dev, err)
	}
	if err := os.Remove(dst + "/lost+found"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return unix.Chmod(dst, 0o1777)
}
