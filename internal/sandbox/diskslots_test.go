package sandbox

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Disks share one image file in slots: each sees exactly its own slot,
// a slot freed by a released disk serves the next one with nothing of the
// old disk left in it, a slot whose disk was still in use when released
// is not reused, and no image file is ever visible in the state dir.
func TestDiskSlots(t *testing.T) {
	m := recycleManager(t)
	const mb = 128
	size := int64(mb) << 20
	marker := bytes.Repeat([]byte("previous disk "), 4096)
	newDisk := func() *scratch {
		t.Helper()
		d, err := m.newScratch(mb)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.release)
		return d
	}
	fill := func(d *scratch) { // every MiB of the device, as a function could
		t.Helper()
		f, err := os.OpenFile(d.dev, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for off := int64(0); off < size; off += 1 << 20 {
			if _, err := f.WriteAt(marker, off); err != nil {
				t.Fatalf("write %s at %d: %v", d.dev, off, err)
			}
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	check := func(d *scratch, what string) { // its size, a fresh superblock, no old data
		t.Helper()
		f, err := os.Open(d.dev)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		n, err := unix.IoctlGetUint64(int(f.Fd()), unix.BLKGETSIZE64)
		if err != nil || int64(n) != size {
			t.Fatalf("%s: device of %d bytes (%v), want %d", what, n, err, size)
		}
		b := make([]byte, size)
		if _, err := f.ReadAt(b, 0); err != nil {
			t.Fatal(err)
		}
		if magic := binary.LittleEndian.Uint16(b[1024+56:]); magic != 0xEF53 {
			t.Errorf("%s: no ext4 superblock (magic %#x)", what, magic)
		}
		if bytes.Contains(b, marker[:64]) {
			t.Errorf("%s: holds data of an earlier disk", what)
		}
	}

	d1, d2 := newDisk(), newDisk()
	if d1.file != d2.file || d1.slot == d2.slot {
		t.Fatalf("two disks: file %p slot %d and file %p slot %d, want one file, two slots", d1.file, d1.slot, d2.file, d2.slot)
	}
	fill(d1)
	check(d2, "the neighbour of a full disk")
	d1.release()
	d3 := newDisk()
	if d3.file != d1.file || d3.slot != d1.slot {
		t.Fatalf("after a release: slot %d, want the freed slot %d reused", d3.slot, d1.slot)
	}
	check(d3, "a disk in a reused slot")

	fill(d2)
	busy, err := os.OpenFile(d2.dev, os.O_RDONLY|unix.O_EXCL, 0) // as a mount holds it
	if err != nil {
		t.Fatal(err)
	}
	d2.release()
	d4 := newDisk()
	busy.Close()
	if d4.slot == d2.slot {
		t.Fatalf("a slot released while its disk was in use was reused (slot %d)", d4.slot)
	}
	check(d4, "a disk beside a slot given up in use")

	ents, _ := os.ReadDir(m.scratchDir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "disks-") {
			t.Errorf("image file %s visible in %s", e.Name(), m.scratchDir)
		}
	}
}
