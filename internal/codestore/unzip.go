package codestore

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// budget counts real decompressed bytes against Options.MaxUnzippedBytes.
type budget struct {
	limit, used int64
}

func (b *budget) left() int64 { return b.limit - b.used }

// unpacker validates an archive and extracts it into a directory.
type unpacker struct {
	opts    Options
	budget  budget
	buf     []byte
	inflate io.ReadCloser // reused across entries (flate.Resetter): it holds a 32 KiB window
}

func newUnpacker(opts Options) *unpacker {
	return &unpacker{opts: opts, budget: budget{limit: opts.MaxUnzippedBytes}, buf: make([]byte, 64<<10)}
}

// plan reads the archive's directory and symlink targets and validates
// everything that can be checked before writing: names, types, entry count,
// declared sizes, compression methods, symlink targets.
func (u *unpacker) plan(data []byte) (*plan, error) {
	r, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	switch {
	case errors.Is(err, zip.ErrFormat):
		return nil, ErrNotZip
	case err != nil && !errors.Is(err, zip.ErrInsecurePath):
		return nil, fmt.Errorf("%w: %s", ErrNotZip, strings.TrimPrefix(err.Error(), "zip: "))
	}
	if len(r.File) > u.opts.MaxFiles {
		return nil, fmt.Errorf("%w: %d entries, the limit is %d", ErrTooManyFiles, len(r.File), u.opts.MaxFiles)
	}
	// An honest header that announces too much is rejected before any work;
	// a lying one is caught while decompressing.
	var declared uint64
	for _, f := range r.File {
		declared += f.UncompressedSize64
		if declared > uint64(u.opts.MaxUnzippedBytes) || f.UncompressedSize64 > uint64(u.opts.MaxUnzippedBytes) {
			return nil, fmt.Errorf("%w: entries declare more than %d bytes (at entry %q)", ErrUnzippedTooLarge, u.opts.MaxUnzippedBytes, f.Name)
		}
	}
	p := newPlan(u.opts.MaxFiles)
	for _, f := range r.File {
		if err := u.planEntry(p, f); err != nil {
			return nil, err
		}
	}
	if err := p.checkLinks(); err != nil {
		return nil, err
	}
	return p, nil
}

func (u *unpacker) planEntry(p *plan, f *zip.File) error {
	name, nameIsDir, err := cleanName(f.Name)
	if err != nil {
		return err
	}
	k, exec := entryKind(f, nameIsDir, name)
	if k != kindDir {
		if f.Flags&0x1 != 0 {
			return fmt.Errorf("%w: entry %q is encrypted", ErrNotZip, f.Name)
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return fmt.Errorf("%w: entry %q uses unsupported compression method %d", ErrNotZip, f.Name, f.Method)
		}
	}
	n, err := p.add(name, k)
	if err != nil {
		return err
	}
	switch k {
	case kindFile:
		n.file, n.exec = f, exec
		p.files = append(p.files, n)
	case kindSymlink:
		var target bytes.Buffer
		if err := u.copyEntry(&target, f, maxNameBytes); err != nil {
			return err
		}
		n.target = target.String()
		if strings.IndexByte(n.target, 0) >= 0 {
			return fmt.Errorf("%w: symlink %q has a target with a nul byte", ErrUnsafePath, f.Name)
		}
		p.links = append(p.links, n)
	}
	return nil
}

// errWrite marks failures writing to disk, as opposed to reading the zip.
type errWrite struct{ err error }

func (e errWrite) Error() string { return e.err.Error() }
func (e errWrite) Unwrap() error { return e.err }

// copyEntry decompresses f into w, counting real bytes against the budget
// (and against max when positive), and checks the real size and checksum
// against the header. It decompresses the raw data itself rather than
// trusting archive/zip's sizes: decompression stops one byte past the limit.
func (u *unpacker) copyEntry(w io.Writer, f *zip.File, max int64) error {
	raw, err := f.OpenRaw()
	if err != nil {
		return fmt.Errorf("%w: entry %q: %v", ErrNotZip, f.Name, err)
	}
	var src io.Reader = raw
	if f.Method == zip.Deflate {
		if u.inflate == nil {
			u.inflate = flate.NewReader(raw)
		} else if err := u.inflate.(flate.Resetter).Reset(raw, nil); err != nil {
			return fmt.Errorf("%w: entry %q: %v", ErrNotZip, f.Name, err)
		}
		src = u.inflate
	}
	limit := u.budget.left()
	linkLimited := max > 0 && max < limit
	if linkLimited {
		limit = max
	}
	h := crc32.NewIEEE()
	var n int64
	for {
		m, rerr := src.Read(u.buf)
		if int64(m) > limit-n {
			if linkLimited {
				return fmt.Errorf("%w: symlink %q has a target longer than %d bytes", ErrUnsafePath, f.Name, max)
			}
			return fmt.Errorf("%w: more than %d bytes once decompressed (at entry %q)", ErrUnzippedTooLarge, u.budget.limit, f.Name)
		}
		if m > 0 {
			h.Write(u.buf[:m])
			if _, werr := w.Write(u.buf[:m]); werr != nil {
				return errWrite{fmt.Errorf("codestore: write entry %q: %w", f.Name, werr)}
			}
			n += int64(m)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("%w: entry %q: %v", ErrNotZip, f.Name, rerr)
		}
	}
	u.budget.used += n
	if uint64(n) != f.UncompressedSize64 {
		return fmt.Errorf("%w: entry %q holds %d bytes but its header says %d", ErrNotZip, f.Name, n, f.UncompressedSize64)
	}
	if f.CRC32 != 0 && h.Sum32() != f.CRC32 {
		return fmt.Errorf("%w: entry %q fails its checksum", ErrNotZip, f.Name)
	}
	return nil
}

// extract writes a validated plan under dir, which must exist and be empty.
// Directories are created writable and made read-only once filled.
func (u *unpacker) extract(p *plan, dir string) error {
	if err := mkdirs(p.root, dir); err != nil {
		return err
	}
	for _, n := range p.files {
		if err := u.writeFile(n, filepath.Join(dir, filepath.FromSlash(n.name))); err != nil {
			return err
		}
	}
	for _, n := range p.links {
		if err := os.Symlink(n.target, filepath.Join(dir, filepath.FromSlash(n.name))); err != nil {
			return fmt.Errorf("codestore: symlink %q: %w", n.name, err)
		}
	}
	return sealDirs(p.root, dir)
}

func mkdirs(n *node, dir string) error {
	for _, c := range n.children {
		if c.kind != kindDir {
			continue
		}
		path := filepath.Join(dir, filepath.FromSlash(c.name))
		if err := os.Mkdir(path, 0o755); err != nil {
			return fmt.Errorf("codestore: create directory %q: %w", c.name, err)
		}
		if err := mkdirs(c, dir); err != nil {
			return err
		}
	}
	return nil
}

func (u *unpacker) writeFile(n *node, path string) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("codestore: create %q: %w", n.name, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("codestore: close %q: %w", n.name, cerr)
		}
	}()
	if err := u.copyEntry(f, n.file, 0); err != nil {
		return err
	}
	// Set the mode explicitly: the process umask must not make code
	// unreadable to the function's uid.
	mode := os.FileMode(0o444)
	if n.exec {
		mode = 0o555
	}
	if err := f.Chmod(mode); err != nil {
		return fmt.Errorf("codestore: chmod %q: %w", n.name, err)
	}
	return nil
}

// sealDirs makes every directory of the tree, the root last, read-only.
func sealDirs(n *node, dir string) error {
	for _, c := range n.children {
		if c.kind == kindDir {
			if err := sealDirs(c, dir); err != nil {
				return err
			}
		}
	}
	path := filepath.Join(dir, filepath.FromSlash(n.name))
	if err := os.Chmod(path, 0o555); err != nil {
		return fmt.Errorf("codestore: chmod directory %q: %w", n.name, err)
	}
	return nil
}
