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
// New mounts go into this list, before pivot_root. /tmp on a scratch disk
// and /etc/hosts are mounted already, at prepare time (but an image root
// gets its own /etc/hosts here).
func finishRoot(prep Prep, cfg *Config) error {
	r, tmpOnDisk := prep.Root, prep.TmpDev != ""
	remountRoot := uintptr(unix.MS_REMOUNT | roFlags)
	if cfg.RootFS != "" {
		img, err := mountImageRoot(r, cfg.RootFS, tmpOnDisk)
		if err == nil {
			err = bindHosts(img, prep.Hosts)
		}
		if err != nil {
			return wrap("image root", err)
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
			return mountAt(r+"/tmp", "tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777,size="+strconv.Itoa(cfg.TmpMB)+"m")
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

// mountOpt binds the function's merged layers read-only at /opt, or leaves
// an empty /opt when it has none, so that /opt (and the absence of
// /opt/extensions) looks as on Lambda.
func mountOpt(root, optDir string) error {
	if optDir == "" {
		return os.MkdirAll(root+"/opt", 0o755)
	}
	return bindRO(optDir, root+"/opt", roFlags)
}

// mountImageRoot builds an environment's root from an unpacked image
// instead of the host's system directories: it binds rootfs below r (the
// init's tmpfs, which pivot_root later detaches with everything else of
// the host), mounts a fresh /proc, a minimal /dev and a small tmpfs at
// /tmp (where bindHosts writes the hosts file, so the shared image is
// never written), and returns the new root's path. A /tmp already on its
// scratch disk (tmpOnDisk) is moved into the image root instead.
func mountImageRoot(r, rootfs string, tmpOnDisk bool) (string, error) {
	img := r + "/.image"
	if err := os.MkdirAll(img, 0o755); err != nil {
		return "", err
	}
	if err := unix.Mount(rootfs, img, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return "", err
	}
	if err := unix.Mount("", img, "", unix.MS_REMOUNT|unix.MS_BIND|roFlags, ""); err != nil {
		return "", err
	}
	return img, runSteps([]step{
		{"mount /proc", func() error {
			return unix.Mount("proc", img+"/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
		}},
		{"mount /dev", func() error { return makeDev(img + "/dev") }},
		{"mount /tmp", func() error {
			if tmpOnDisk {
				return unix.Mount(r+"/tmp", img+"/tmp", "", unix.MS_MOVE, "")
			}
			return unix.Mount("tmpfs", img+"/tmp", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=755,size=64k")
		}},
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
