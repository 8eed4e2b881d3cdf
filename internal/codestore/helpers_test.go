package codestore

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// zent describes one entry of a test zip.
type zent struct {
	name string
	body string
	// mode is the Unix mode to record; 0 records none, like zips built on
	// Windows.
	mode fs.FileMode
	// raw, when set, writes the entry with these header fields instead of
	// letting archive/zip compute them: a header that lies.
	raw *zip.FileHeader
}

func file(name, body string, perm fs.FileMode) zent { return zent{name: name, body: body, mode: perm} }
func dir(name string) zent                          { return zent{name: name, mode: fs.ModeDir | 0o755} }
func link(name, target string) zent {
	return zent{name: name, body: target, mode: fs.ModeSymlink | 0o777}
}

// buildZip writes ents into a zip in memory.
func buildZip(tb testing.TB, ents ...zent) []byte {
	tb.Helper()
	z, err := makeZip(ents...)
	if err != nil {
		tb.Fatal(err)
	}
	return z
}

func makeZip(ents ...zent) ([]byte, error) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range ents {
		var fw io.Writer
		var err error
		if e.raw != nil {
			fw, err = w.CreateRaw(e.raw)
		} else {
			h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
			if e.mode != 0 {
				h.SetMode(e.mode)
			}
			fw, err = w.CreateHeader(h)
		}
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(fw, e.body); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// rawDeflate returns an entry holding body deflated, with a header that
// declares size bytes and the given crc instead of the real values.
func rawDeflate(tb testing.TB, name string, body []byte, size uint64, crc uint32) zent {
	tb.Helper()
	var c bytes.Buffer
	fw, err := flate.NewWriter(&c, flate.BestCompression)
	if err != nil {
		tb.Fatal(err)
	}
	fw.Write(body)
	fw.Close()
	h := &zip.FileHeader{
		Name:               name,
		Method:             zip.Deflate,
		CRC32:              crc,
		CompressedSize64:   uint64(c.Len()),
		UncompressedSize64: size,
	}
	h.SetMode(0o644)
	return zent{name: name, body: c.String(), raw: h}
}

func crcOf(b []byte) uint32 { return crc32.ChecksumIEEE(b) }

func openStore(tb testing.TB, opts Options) *Store {
	tb.Helper()
	if opts.Dir == "" {
		opts.Dir = filepath.Join(tb.TempDir(), "code")
	}
	s, err := Open(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// assertNoLeftovers fails unless tmp/ is empty and, when empty is set,
// nothing is published either.
func assertNoLeftovers(tb testing.TB, s *Store, empty bool) {
	tb.Helper()
	dirs := []string{s.tmp}
	if empty {
		dirs = append(dirs, s.zips, s.trees)
	}
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range entries {
			tb.Errorf("leftover %s", filepath.Join(d, e.Name()))
		}
	}
}
