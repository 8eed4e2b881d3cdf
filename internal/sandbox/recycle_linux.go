package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// How a namespace or a disk of an ended environment is made safe for the
// next one. The caller guarantees that every process of the environment
// is gone: its init, PID 1 of its PID namespace, has been reaped, and the
// kernel kills and reaps every other process of a PID namespace before
// its PID 1 can be. What such processes leave behind is checked here.

// resetNet readies an environment's namespace for the next one. It fails
// when something of the old environment could still be seen in it:
//   - for network "nat", any packet it sent over its link (the host side
//     received some since the hand-over): connections to the outside leave
//     state — closing sockets naming the peers, the host's connection
//     tracking — that the next environment must not inherit, so such a
//     namespace is destroyed;
//   - any socket (errNotYet: Hearth may still be closing its end of a
//     Runtime API connection, an orphaned connection be finishing). What
//     may remain are TIME_WAIT entries of loopback connections, which are
//     not sockets, carry no data and belong to no process.
//
// The listener is a new one, so that no connection queued for the old one
// is accepted.
func (m *Manager) resetNet(en *envNet) error {
	if en.link != nil && en.link.rxPackets() != en.rx {
		return errors.New("the environment used its link")
	}
	if en.ln != nil {
		_ = en.ln.Close()
		en.ln = nil
	}
	ln, err := inNamespace(int(en.ns.Fd()), func() (net.Listener, error) {
		if err := checkSockets("/proc/thread-self/net/sockstat"); err != nil {
			return nil, err
		}
		return net.Listen("tcp", runtimeAPIAddr)
	})
	if err != nil {
		return err
	}
	en.ln = ln
	return nil
}

// checkSockets fails with errNotYet unless the sockstat file at path (a
// namespace's /proc/net/sockstat) counts no socket in use. Reading the
// namespace's socket tables instead would walk the host's whole hash
// tables, milliseconds each.
func checkSockets(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "sockets: used "); ok {
			if v != "0" {
				return fmt.Errorf("%w: %s sockets open", errNotYet, v)
			}
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return fmt.Errorf("%s: no socket count", path)
}

// rxPackets is the host side's count of packets received from the
// environment; 0 when unreadable.
func (l *natLink) rxPackets() uint64 {
	b, err := os.ReadFile("/sys/class/net/" + l.name + "/statistics/rx_packets")
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// resetDisk readies an environment's /tmp disk for the next one: once no
// filesystem holds the device (errNotYet until the old mount is gone), the
// whole device is discarded — the loop driver punches holes into the
// image, so every old block reads as zeros, and the device's page cache is
// dropped — and the formatted template's metadata is written afresh
// through the device, as if newly copied.
func (m *Manager) resetDisk(d *scratch) error {
	tmpl, err := m.templateData(d.sizeMB)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(d.dev, os.O_RDWR|unix.O_EXCL|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.EBUSY) {
		return fmt.Errorf("%w: %s is mounted", errNotYet, d.dev)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	rng := [2]uint64{0, uint64(d.sizeMB) << 20}
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKDISCARD, uintptr(unsafe.Pointer(&rng))); e != 0 {
		return fmt.Errorf("discard %s: %w", d.dev, e)
	}
	for _, x := range tmpl {
		if _, err := f.WriteAt(x.data, x.off); err != nil {
			return fmt.Errorf("write template to %s: %w", d.dev, err)
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", d.dev, err)
	}
	return nil
}

// extent is a run of data of a template image.
type extent struct {
	off  int64
	data []byte
}

// templateData returns the data extents of the template of sizeMB, read
// once: a few hundred kilobytes of ext4 metadata.
func (m *Manager) templateData(sizeMB int) ([]extent, error) {
	path, err := m.scratchTemplate(sizeMB)
	if err != nil {
		return nil, err
	}
	m.tmplMu.Lock()
	defer m.tmplMu.Unlock()
	if x, ok := m.tmplData[sizeMB]; ok {
		return x, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []extent
	fd := int(f.Fd())
	for off := int64(0); off < int64(sizeMB)<<20; {
		data, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			break
		}
		if err != nil {
			return nil, err
		}
		hole, err := unix.Seek(fd, data, unix.SEEK_HOLE)
		if err != nil {
			return nil, err
		}
		b := make([]byte, hole-data)
		if _, err := f.ReadAt(b, data); err != nil {
			return nil, err
		}
		out = append(out, extent{off: data, data: b})
		off = hole
	}
	m.tmplData[sizeMB] = out
	return out, nil
}
