package sandbox

import (
	"os"

	"golang.org/x/sys/unix"
)

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
