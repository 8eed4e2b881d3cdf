package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The images of the /tmp disks of one size live in slots of one shared
// sparse file rather than in a file each. Creating a file allocates an
// inode, and on an ext4 without a journal (a common data disk) the
// allocator skips every inode deleted in the last seconds, reading its
// table block: with a file per disk, each unlinked at once, a burst of
// cold starts made that scan quadratic, for the disks and for everything
// else created on that filesystem meanwhile (the log streams). A slot
// costs a copy of the template's few hundred kilobytes at its offset and
// a loop device attached with that offset.
//
// The file is unlinked as soon as it is created, as the single images
// were: the loop devices hold it, so neither a clean stop nor a kill -9
// leaves it behind. A slot is reused only once its disk was discarded
// through a device that nothing mounts (its blocks punched out of the
// file) and that device closed; a disk given up while still mounted
// leaves its slot unused until the file itself is released. A file holds
// at most maxSlotBytes of slots; then the next one begins, and the old
// one is freed with its last device.

// maxSlotBytes bounds the logical size of one slot file, well below
// ext4's 16 TiB limit on a file.
const maxSlotBytes = 4 << 40

// diskFile is one shared image file and its slots.
type diskFile struct {
	mu    sync.Mutex // guards f, used and free
	f     *os.File   // nil once Close has released it
	size  int64      // bytes per slot
	limit int        // slots the file may hold
	used  int        // slots handed out so far; the file is used*size long
	free  []int      // slots discarded and ready again
}

// slotFiles holds the shared image files of a Manager, by disk size.
type slotFiles struct {
	mu     sync.Mutex // guards files and closed
	files  map[int]*diskFile
	closed bool
}

// slot returns a file and a free slot in it for a disk of sizeMB.
func (m *Manager) slot(sizeMB int) (*diskFile, int, error) {
	sf := &m.slots
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if sf.closed {
		return nil, 0, ErrClosed
	}
	if sf.files == nil {
		sf.files = map[int]*diskFile{}
	}
	df := sf.files[sizeMB]
	if df != nil {
		if i, ok := df.take(); ok {
			return df, i, nil
		}
	}
	size := int64(sizeMB) << 20
	img := filepath.Join(m.scratchDir, "disks-"+strconv.Itoa(sizeMB)+"-"+strconv.FormatUint(m.seq.Add(1), 10)+".img")
	f, err := os.OpenFile(img, os.O_RDWR|os.O_CREATE|os.O_EXCL|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("scratch image: %w", err)
	}
	_ = os.Remove(img) // the descriptor and the loop devices keep it
	if df != nil {
		df.retire()
	}
	df = &diskFile{f: f, size: size, limit: int(max(1, maxSlotBytes/size))}
	sf.files[sizeMB] = df
	i, _ := df.take()
	return df, i, nil
}

// take hands out a slot: a free one, else a new one at the end of the
// file; false when the file is full or retired.
func (df *diskFile) take() (int, bool) {
	df.mu.Lock()
	defer df.mu.Unlock()
	if df.f == nil {
		return 0, false
	}
	if n := len(df.free); n > 0 {
		i := df.free[n-1]
		df.free = df.free[:n-1]
		return i, true
	}
	if df.used == df.limit {
		return 0, false
	}
	if err := df.f.Truncate(int64(df.used+1) * df.size); err != nil {
		return 0, false
	}
	df.used++
	return df.used - 1, true
}

// put gives slot i back: reusable when clean (discarded), else left
// unused for the file's life.
func (df *diskFile) put(i int, clean bool) {
	df.mu.Lock()
	defer df.mu.Unlock()
	if clean && df.f != nil {
		df.free = append(df.free, i)
	}
}

// retire stops handing out slots of df; its file is closed with its last
// slot (the loop devices hold it meanwhile).
func (df *diskFile) retire() {
	df.mu.Lock()
	defer df.mu.Unlock()
	if df.f != nil {
		_ = df.f.Close()
		df.f = nil
	}
	df.free = nil
}

// closeSlots retires every shared image file: nothing new is attached,
// and each is freed with its last loop device.
func (m *Manager) closeSlots() {
	sf := &m.slots
	sf.mu.Lock()
	defer sf.mu.Unlock()
	sf.closed = true
	for _, df := range sf.files {
		df.retire()
	}
	sf.files = nil
}

// fillSlot copies the template of df's size (the file at tmpl) into slot
// i: only its data extents; the rest of a clean slot is a hole.
func (df *diskFile) fillSlot(tmpl string, i int) error {
	df.mu.Lock()
	f := df.f
	df.mu.Unlock()
	if f == nil {
		return ErrClosed
	}
	sf, err := os.Open(tmpl)
	if err != nil {
		return err
	}
	defer sf.Close()
	base := int64(i) * df.size
	sfd, dfd := int(sf.Fd()), int(f.Fd())
	for off := int64(0); off < df.size; {
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
		for in, out := data, base+data; in < hole; {
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

// discard punches every block of the disk on dev out of its image, once
// nothing mounts it; it reports whether it did.
func discard(dev string, sizeMB int) bool {
	f, err := os.OpenFile(dev, os.O_RDWR|unix.O_EXCL|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	rng := [2]uint64{0, uint64(sizeMB) << 20}
	_, _, e := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKDISCARD, uintptr(unsafe.Pointer(&rng)))
	return e == 0
}
