package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// scratch is the disk behind one environment's /tmp: a slot of
// EphemeralStorage's size in a shared sparse image file
// (diskslots_linux.go), formatted ext4, attached to a loop device. On
// disk, not in memory, so a function's /tmp is not charged to its memory
// limit beyond reclaimable page cache, and a full /tmp is ENOSPC for that
// environment only.
//
// The image file is unlinked as soon as it is created, and the device is
// attached with autoclear: it detaches itself when its last user —
// Hearth's descriptor, and the mount in the environment's namespace — is
// gone. Neither a clean stop nor a kill -9 of Hearth leaves an image or a
// loop device behind.
type scratch struct {
	sizeMB int
	dev    string    // /dev/loopN
	f      *os.File  // the loop device, open until the disk is released
	file   *diskFile // the image file holding it
	slot   int       // its slot in file
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
// formatted template of that size, in a slot of the shared image file.
func (m *Manager) newScratch(sizeMB int) (s *scratch, err error) {
	tmpl, err := m.scratchTemplate(sizeMB)
	if err != nil {
		return nil, err
	}
	df, slot, err := m.slot(sizeMB)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			df.put(slot, false) // it may hold part of a template
		}
	}()
	if err := df.fillSlot(tmpl, slot); err != nil {
		return nil, fmt.Errorf("scratch image: %w", err)
	}
	df.mu.Lock()
	backing := df.f
	df.mu.Unlock()
	if backing == nil {
		return nil, ErrClosed
	}
	dev, lf, err := attachLoop(backing, int64(slot)*df.size, df.size)
	if err != nil {
		return nil, err
	}
	return &scratch{sizeMB: sizeMB, dev: dev, f: lf, file: df, slot: slot}, nil
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

// loopMu serialises finding and configuring a loop device within this
// process: concurrent attaches would all be given the same free device and
// all but one would fail and retry. (The kernel serialises the work
// anyway; other processes can still race, hence the retries.)
var loopMu sync.Mutex

// attachLoop attaches size bytes of backing from offset to a free loop
// device with autoclear and direct I/O (no second copy in the page cache).
func attachLoop(backing *os.File, offset, size int64) (string, *os.File, error) {
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
		cfg.Info.Offset, cfg.Info.Sizelimit = uint64(offset), uint64(size)
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

// release drops Hearth's hold on the device, which autoclear then
// detaches once no mount holds it either. A disk that nothing mounts is
// discarded first, so that its slot is clean and serves another disk.
func (s *scratch) release() {
	if s == nil || s.f == nil {
		return
	}
	clean := s.file != nil && discard(s.dev, s.sizeMB)
	_ = s.f.Close()
	s.f = nil
	if s.file != nil {
		s.file.put(s.slot, clean)
	}
}
