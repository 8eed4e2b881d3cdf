package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// markerSuffix names the file that marks a database as open: it is made
// when Open succeeds and removed by Close, so finding it at Open means the
// previous run did not shut down cleanly.
const markerSuffix = ".open"

// fullCheckLimit is the size up to which the database is checked at every
// start, not only after an unclean shutdown: metadata is small, and a
// check of a few MB costs milliseconds.
const fullCheckLimit = 64 << 20

// openChecked opens the database at path and checks it, turning every way
// a damaged file can fail (an error, a panic, a fault on a truncated
// mapping) into ErrCorrupt. It returns whether the previous run shut down
// cleanly.
func openChecked(path string, timeout time.Duration, existing bool) (db *bolt.DB, clean bool, err error) {
	st, statErr := os.Stat(path)
	if existing && (statErr != nil || st.Size() == 0) {
		what := "missing"
		if statErr == nil {
			what = "empty (zero length)"
		}
		return nil, false, fmt.Errorf("%w: %s is %s, but the data dir holds code and logs of an earlier run", ErrMissing, path, what)
	}
	_, markErr := os.Stat(path + markerSuffix)
	clean = markErr != nil
	db, err = openGuarded(path, &bolt.Options{Timeout: timeout})
	if err != nil {
		return nil, clean, err
	}
	if !clean || st == nil || st.Size() <= fullCheckLimit {
		if problems := check(db, path); len(problems) > 0 {
			db.Close()
			return nil, clean, fmt.Errorf("%w: %s: %s", ErrCorrupt, path, strings.Join(problems, "; "))
		}
	}
	return db, clean, nil
}

// openGuarded is bolt.Open that reports a damaged file as ErrCorrupt
// instead of panicking or faulting.
func openGuarded(path string, opts *bolt.Options) (db *bolt.DB, err error) {
	if err := checkLength(path); err != nil {
		return nil, err
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if v := recover(); v != nil {
			db, err = nil, fmt.Errorf("%w: %s: cannot be read: %v", ErrCorrupt, path, v)
		}
	}()
	db, err = bolt.Open(path, 0o600, opts)
	switch {
	case errors.Is(err, bolt.ErrTimeout):
		return nil, fmt.Errorf("%w: %s", ErrLocked, path)
	case err != nil:
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	return db, nil
}

// maxProblems is how many of bbolt's findings a report lists.
const maxProblems = 10

// check runs bbolt's consistency check, after making sure the file holds
// every page the database claims (a truncated file would otherwise fault
// on the first page past its end). It returns the problems found.
func check(db *bolt.DB, path string) (problems []string) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if v := recover(); v != nil {
			problems = append(problems, fmt.Sprintf("check failed: %v", v))
		}
	}()
	st, err := os.Stat(path)
	if err != nil {
		return []string{err.Error()}
	}
	_ = db.View(func(tx *bolt.Tx) error {
		if need := tx.Size(); need > st.Size() {
			problems = append(problems, fmt.Sprintf("file is %d bytes but the database needs %d: it was truncated", st.Size(), need))
			return nil
		}
		for err := range tx.Check() {
			if len(problems) < maxProblems {
				// bbolt reports an assertion its walk tripped as "panic: ...":
				// for an operator it is one more finding.
				problems = append(problems, strings.TrimPrefix(err.Error(), "panic: "))
			}
		}
		return nil
	})
	return problems
}

// markOpen records that the database is open; Close removes the mark.
func markOpen(path string) error {
	return os.WriteFile(path+markerSuffix, []byte(fmt.Sprintf("pid %d\n", os.Getpid())), 0o600)
}

// Check opens the database at path read-only, waiting at most timeout
// (default 500ms) for a running Hearth's lock, and runs bbolt's
// consistency check. It returns the problems found, none for a sound
// database, and an error when the file cannot be checked at all (ErrLocked
// while a Hearth runs on it).
func Check(path string, timeout time.Duration) ([]string, error) {
	if timeout <= 0 {
		timeout = 500 * time.Millisecond
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() == 0 {
		return []string{"the file is empty (zero length)"}, nil
	}
	db, err := openGuarded(path, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if errors.Is(err, ErrCorrupt) {
		return []string{err.Error()}, nil
	}
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return check(db, path), nil
}

// bbolt's meta page, as laid out on disk: a 16-byte page header, then
// magic, version, page size and flags (4 bytes each), the root bucket (16),
// the freelist's page id, the high-water page id and the transaction id
// (8 each).
const (
	boltMagic      = 0xED0CDAED
	metaMagicAt    = 16
	metaPageSizeAt = 24
	metaPgidAt     = 56
	metaTxidAt     = 64
	metaEnd        = 72
)

// truncated reads the two meta pages of the database file f, of size
// bytes, and reports how many bytes the newest valid one says the file
// must hold when the file is shorter: bbolt maps the file and would fault
// on the first page past its end.
func truncated(f *os.File, size int64) (need int64, short bool) {
	var best struct{ txid, need uint64 }
	for _, at := range []int64{0, 4096, 16384, 65536} {
		buf := make([]byte, metaEnd)
		if _, err := f.ReadAt(buf, at); err != nil {
			continue
		}
		if binary.LittleEndian.Uint32(buf[metaMagicAt:]) != boltMagic {
			continue
		}
		pageSize := uint64(binary.LittleEndian.Uint32(buf[metaPageSizeAt:]))
		txid := binary.LittleEndian.Uint64(buf[metaTxidAt:])
		if txid >= best.txid {
			best.txid, best.need = txid, binary.LittleEndian.Uint64(buf[metaPgidAt:])*pageSize
		}
	}
	return int64(best.need), best.need > uint64(size)
}

// checkLength refuses a file shorter than its meta pages say.
func checkLength(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // bolt.Open creates or reports it
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return nil
	}
	if need, short := truncated(f, st.Size()); short {
		return fmt.Errorf("%w: %s: file is %d bytes but the database needs %d: it was truncated", ErrCorrupt, path, st.Size(), need)
	}
	return nil
}
