package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// scratch is the disk behind one environment's /tmp: a sparse file of
// EphemeralStorage's size, formatted ext4, attached to a loop device. On
// disk, not in memory, so a function's /tmp is not charged to its memory
// limit beyond reclaimable page cache, and a full /tmp is ENOSPC for that
// environment only.
//
// The image file is unlinked as soon as the loop device holds it, and the
// device is attached with autoclear: it detaches itself when its last
// user — Hearth's descriptor until /tmp is mounted, then the mount in the
// environment's namespace — is gone. Neither a clean stop nor a kill -9
// of Hearth leaves an image or a loop device behind.
type scratch struct {
	sizeMB int
	dev    string   // /dev/loopN
	f      *os.File // the loop device, open until /tmp is mounted
}

// scratchSupported reports why disk-backed /tmp cannot be used, or "".
func scratchSupported() (mke2fs string, why string) {
	p, err := exec.LookPath("mke2fs")
	for _, dir := range []string{"/usr/sbin", "/sbin"} { // often not on a service's PATH
		if err != nil {
			p, err = exec.LookPath(dir + "/mke2fs")
		}
	}
	if err != nil {
		return "", "mke2fs not found (e2fsprogs)"
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		return "", "no loop devices (/dev/loop-control)"
	}
	return p, ""
}

// newScratch makes and attaches a disk of sizeMB: a sparse copy of the
// formatted template of that size.
func (m *Manager) newScratch(sizeMB int) (s *scratch, err error) {
	tmpl, err := m.scratchTemplate(sizeMB)
	if err != nil {
		return nil, err
	}
	img := filepath.Join(m.scratchDir, "tmp-"+strconv.FormatUint(m.seq.Add(1), 10)+".img")
	f, err := os.OpenFile(img, os.O_RDWR|os.O_CREATE|os.O_EXCL|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("scratch image: %w", err)
	}
	defer f.Close()
	defer os.Remove(img) // the loop device keeps the file
	if err := copySparse(f, tmpl, int64(sizeMB)<<20); err != nil {
		return nil, fmt.Errorf("scratch image: %w", err)
	}
	dev, lf, err := attachLoop(f)
	if err != nil {
		return nil, err
	}
	return &scratch{sizeMB: sizeMB, dev: dev, f: lf}, nil
}

// scratchTemplate returns the formatted, never mounted image of sizeMB,
// making it on first use. Formatting is a few milliseconds of mke2fs;
// copying the template's few hundred kilobytes of metadata is a tenth of
// that, so every disk after the first of a size is a copy.
func (m *Manager) scratchTemplate(sizeMB int) (string, error) {
	m.tmplMu.Lock()
	defer m.tmplMu.Unlock()
	path := filepath.Join(m.scratchDir, "template-"+strconv.Itoa(sizeMB)+".img")
	if m.templates[sizeMB] {
		return path, nil
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, nil, 0o600); err != nil {
		return "", fmt.Errorf("scratch template: %w", err)
	}
	if err := os.Truncate(tmp, int64(sizeMB)<<20); err != nil {
		return "", fmt.Errorf("scratch template: %w", err)
	}
	// No journal: /tmp does not outlive a crash. Lazy inode tables keep
	// formatting a 10 GB image at a few milliseconds.
	out, err := exec.Command(m.mke2fs, "-q", "-F", "-t", "ext4", "-O", "^has_journal", "-m", "0",
		"-E", "lazy_itable_init=1,nodiscard", tmp).CombinedOutput()
	if err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("format scratch template: %w: %s", err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("scratch template: %w", err)
	}
	m.templates[sizeMB] = true
	return path, nil
}

// copySparse makes dst a copy of the file at src, size bytes long,
// copying only the data extents and leaving the holes as holes.
func copySparse(dst *os.File, src string, size int64) error {
	sf, err := os.Open(src)
	if err != nil {
		return err
	}
	defer sf.Close()
	if err := dst.Truncate(size); err != nil {
		return err
	}
	sfd, dfd := int(sf.Fd()), int(dst.Fd())
	for off := int64(0); off < size; {
		data, err := unix.Seek(sfd, off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			return nil // only a hole is left
		}
		if err != nil {
			return err
		}
		hole, err := unix.Seek(sfd, data, unix.SEEK_HOLE)
		if err != nil {
			return err
		}
		for in, out := data, data; in < hole; {
			n, err := unix.CopyFileRange(sfd, &in, dfd, &out, int(hole-in), 0)
			if err != nil {
				return err
			}
			if n == 0 {
				return io.ErrUnexpectedEOF
			}
		}
		off = hole
	}
	return nil
}

// loopMu serialises finding and configuring a loop device within this
// process: concurrent attaches would all be given the same free device and
// all but one would fail and retry. (The kernel serialises the work
// anyway; other processes can still race, hence the retries.)
var loopMu sync.Mutex

// attachLoop attaches backing to a free loop device with autoclear and
// direct I/O (no second copy in the page cache).
func attachLoop(backing *os.File) (string, *os.File, error) {
	loopMu.Lock()
	defer loopMu.Unlock()
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		return "", nil, fmt.Errorf("loop control: %w", err)
	}
	defer ctl.Close()
	for range 32 {
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return "", nil, fmt.Errorf("find a free loop device: %w", err)
		}
		dev := "/dev/loop" + strconv.Itoa(n)
		lf, err := os.OpenFile(dev, os.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return "", nil, fmt.Errorf("open %s: %w", dev, err)
		}
		cfg := unix.LoopConfig{Fd: uint32(backing.Fd())}
		cfg.Info.Flags = unix.LO_FLAGS_AUTOCLEAR | unix.LO_FLAGS_DIRECT_IO
		err = unix.IoctlLoopConfigure(int(lf.Fd()), &cfg)
		if err == nil {
			return dev, lf, nil
		}
		_ = lf.Close()
		if !errors.Is(err, unix.EBUSY) {
			return "", nil, fmt.Errorf("attach %s: %w", dev, err)
		}
		// Taken by someone else between GET_FREE and CONFIGURE: next one.
	}
	return "", nil, errors.New("attach loop device: every free device was taken meanwhile")
}

// release drops Hearth's hold on the device; once /tmp is mounted the
// mount keeps it, and autoclear detaches it when the mount goes.
func (s *scratch) release() {
	if s != nil && s.f != nil {
		_ = s.f.Close()
		s.f = nil
	}
}
