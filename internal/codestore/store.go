package codestore

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// Defaults for Options, from Lambda's quotas.
const (
	DefaultMaxZipBytes      = 50 << 20  // direct-upload zip limit, 52428800
	DefaultMaxUnzippedBytes = 262144000 // unzipped code limit, 250 MB
	DefaultMaxFiles         = 65536
)

// Options configures a Store. Zero fields take their defaults.
type Options struct {
	// Dir is the root directory of the store, e.g. <data-dir>/code. It is
	// created if missing. Required.
	Dir string
	// MaxZipBytes bounds the size of an uploaded zip. Default 50 MiB.
	MaxZipBytes int64
	// MaxUnzippedBytes bounds the real decompressed size of all entries
	// together (symlink targets included). Default 250 MB.
	MaxUnzippedBytes int64
	// MaxFiles bounds the number of files, directories and symlinks in an
	// archive, implicit parent directories included, against archives of
	// countless tiny entries. Default 65536.
	MaxFiles int
}

func (o Options) withDefaults() Options {
	if o.MaxZipBytes <= 0 {
		o.MaxZipBytes = DefaultMaxZipBytes
	}
	if o.MaxUnzippedBytes <= 0 {
		o.MaxUnzippedBytes = DefaultMaxUnzippedBytes
	}
	if o.MaxFiles <= 0 {
		o.MaxFiles = DefaultMaxFiles
	}
	return o
}

// Info describes stored code.
type Info struct {
	SHA256     string // lowercase hex sha256 of the zip bytes: the address
	CodeSha256 string // the same digest in standard base64, as Lambda reports CodeSha256
	Size       int64  // zip size in bytes, Lambda's CodeSize
}

// Store is a content-addressed directory of code packages.
type Store struct {
	opts                   Options
	zips, trees, tmp, lock string
	lockFile               *os.File

	// mu guards the published namespace (zips/ and trees/): publishing a
	// Put, Delete and GC's removals do not interleave. Validation and
	// extraction, the slow part of Put, run outside it.
	mu sync.Mutex
	// holds are the per-digest locks of Hold.
	holds holds
}

// Open opens the store in opts.Dir, creating it if needed, takes its lock,
// and removes whatever an interrupted Put or Delete left in tmp/.
func Open(opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if opts.Dir == "" {
		return nil, errors.New("codestore: options: dir is required")
	}
	s := &Store{
		opts:  opts,
		zips:  filepath.Join(opts.Dir, "zips"),
		trees: filepath.Join(opts.Dir, "trees"),
		tmp:   filepath.Join(opts.Dir, "tmp"),
		lock:  filepath.Join(opts.Dir, "LOCK"),
	}
	for _, d := range []string{opts.Dir, s.zips, s.trees} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("codestore: open: %w", err)
		}
	}
	if err := os.MkdirAll(s.tmp, 0o700); err != nil {
		return nil, fmt.Errorf("codestore: open: %w", err)
	}
	f, err := os.OpenFile(s.lock, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("codestore: open: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s: %v", ErrLocked, opts.Dir, err)
	}
	s.lockFile = f
	if err := s.cleanTmp(); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.resetMerged(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the store's lock. The Store must not be used afterwards.
func (s *Store) Close() error {
	if s.lockFile == nil {
		return nil
	}
	err := s.lockFile.Close() // closing releases the flock
	s.lockFile = nil
	return err
}

// Options returns the options in effect, defaults filled in; the API layer
// quotes the limits in its error messages.
func (s *Store) Options() Options { return s.opts }

func (s *Store) cleanTmp() error {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return fmt.Errorf("codestore: open: %w", err)
	}
	for _, e := range entries {
		if err := removeAll(filepath.Join(s.tmp, e.Name())); err != nil {
			return fmt.Errorf("codestore: open: remove leftover %q: %w", e.Name(), err)
		}
	}
	return nil
}

// Put validates zip, unpacks it and stores both under the zip's sha256.
// Putting content that is already stored does nothing and returns the same
// Info. On error nothing is left behind.
func (s *Store) Put(zip []byte) (Info, error) {
	if int64(len(zip)) > s.opts.MaxZipBytes {
		return Info{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrZipTooLarge, len(zip), s.opts.MaxZipBytes)
	}
	sum := sha256.Sum256(zip)
	info := Info{
		SHA256:     Address(zip),
		CodeSha256: base64.StdEncoding.EncodeToString(sum[:]),
		Size:       int64(len(zip)),
	}
	if s.Has(info.SHA256) {
		return info, nil
	}
	u := newUnpacker(s.opts)
	p, err := u.plan(zip)
	if err != nil {
		return Info{}, err
	}
	work, err := os.MkdirTemp(s.tmp, "put-")
	if err != nil {
		return Info{}, fmt.Errorf("codestore: put: %w", err)
	}
	defer removeAll(work) // after publishing only the emptied work dir remains
	if err := s.stage(u, p, zip, work); err != nil {
		return Info{}, err
	}
	if err := s.publish(work, info.SHA256); err != nil {
		return Info{}, err
	}
	return info, nil
}

// stage writes the tree and the zip into work and flushes them to disk.
func (s *Store) stage(u *unpacker, p *plan, zip []byte, work string) error {
	tree := filepath.Join(work, "tree")
	if err := os.Mkdir(tree, 0o755); err != nil {
		return fmt.Errorf("codestore: put: %w", err)
	}
	if err := u.extract(p, tree); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(work, "code.zip"), zip, 0o444); err != nil {
		return fmt.Errorf("codestore: put: write zip: %w", err)
	}
	if err := os.Chmod(filepath.Join(work, "code.zip"), 0o444); err != nil {
		return fmt.Errorf("codestore: put: %w", err)
	}
	if err := syncTree(work); err != nil {
		return fmt.Errorf("codestore: put: sync: %w", err)
	}
	return nil
}

// publish renames the staged tree, then the zip, into place. The tree goes
// first so that a present zip always has its tree.
func (s *Store) publish(work, sha string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tree := filepath.Join(s.trees, sha)
	// Moving a directory to another parent rewrites its "..": without root
	// that needs write permission on the directory itself, so the read-only
	// tree is writable for the rename only.
	staged := filepath.Join(work, "tree")
	if err := os.Chmod(staged, 0o755); err != nil {
		return fmt.Errorf("codestore: put: %w", err)
	}
	err := os.Rename(staged, tree)
	if err == nil {
		err = os.Chmod(tree, 0o555)
	}
	if err != nil {
		// A tree already published by a concurrent Put or left by a crash
		// after its rename is complete: trees are only renamed in whole.
		if _, serr := os.Lstat(tree); serr != nil {
			return fmt.Errorf("codestore: put: publish tree: %w", err)
		}
	}
	if err := os.Rename(filepath.Join(work, "code.zip"), s.zipPath(sha)); err != nil {
		return fmt.Errorf("codestore: put: publish zip: %w", err)
	}
	for _, d := range []string{s.trees, s.zips} {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("codestore: put: sync %s: %w", d, err)
		}
	}
	return nil
}

func (s *Store) zipPath(sha string) string  { return filepath.Join(s.zips, sha+".zip") }
func (s *Store) treePath(sha string) string { return filepath.Join(s.trees, sha) }

// validSHA reports whether sha is 64 lowercase hex digits, so that no
// argument can name a path outside the store.
func validSHA(sha string) bool {
	if len(sha) != 64 {
		return false
	}
	for i := 0; i < len(sha); i++ {
		c := sha[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Has reports whether code with the hex digest sha is stored.
func (s *Store) Has(sha string) bool {
	if !validSHA(sha) {
		return false
	}
	if _, err := os.Stat(s.zipPath(sha)); err != nil {
		return false
	}
	fi, err := os.Stat(s.treePath(sha))
	return err == nil && fi.IsDir()
}

// ZipPath returns the path of the stored zip with digest sha.
func (s *Store) ZipPath(sha string) (string, error) {
	if !s.Has(sha) {
		return "", fmt.Errorf("%w: %q", ErrNotFound, sha)
	}
	return s.zipPath(sha), nil
}

// Tree returns the directory holding the unpacked, read-only tree of the
// code with digest sha.
func (s *Store) Tree(sha string) (string, error) {
	if !s.Has(sha) {
		return "", fmt.Errorf("%w: %q", ErrNotFound, sha)
	}
	return s.treePath(sha), nil
}

// Delete removes the code with digest sha: its zip first, so that it stops
// being present at once, then its tree.
func (s *Store) Delete(sha string) error {
	if !validSHA(sha) {
		return fmt.Errorf("%w: %q", ErrNotFound, sha)
	}
	s.mu.Lock()
	zerr := os.Remove(s.zipPath(sha))
	doomed, terr := s.detachTree(sha)
	s.mu.Unlock()
	if zerr != nil && !errors.Is(zerr, fs.ErrNotExist) {
		return fmt.Errorf("codestore: delete %s: %w", sha, zerr)
	}
	if terr != nil {
		return fmt.Errorf("codestore: delete %s: %w", sha, terr)
	}
	if zerr != nil && doomed == "" {
		return fmt.Errorf("%w: %q", ErrNotFound, sha)
	}
	if doomed != "" {
		if err := removeAll(doomed); err != nil {
			return fmt.Errorf("codestore: delete %s: %w", sha, err)
		}
	}
	return nil
}

// detachTree moves a tree into tmp/ so that it disappears atomically; the
// slow removal then runs outside the lock, and a crash during it leaves the
// remains where Open cleans up. It returns "" when there was no tree.
func (s *Store) detachTree(sha string) (string, error) {
	tree := s.treePath(sha)
	// Moving a directory to another parent updates its "..": that needs
	// write permission on it when Hearth does not run as root.
	if err := os.Chmod(tree, 0o755); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", err
	}
	doomed, err := os.MkdirTemp(s.tmp, "del-")
	if err != nil {
		return "", err
	}
	if err := os.Rename(tree, filepath.Join(doomed, "tree")); err != nil {
		os.Remove(doomed)
		return "", err
	}
	return doomed, nil
}

// GC deletes every stored digest for which keep returns false, including
// incomplete leftovers (a tree without its zip), and returns how many it
// removed. keep is called with the digest held (Hold), so a caller that
// records references under Hold never loses code to a concurrent GC.
func (s *Store) GC(keep func(sha string) bool) (removed int, err error) {
	seen := map[string]bool{}
	for _, d := range []string{s.zips, s.trees} {
		entries, err := os.ReadDir(d)
		if err != nil {
			return 0, fmt.Errorf("codestore: gc: %w", err)
		}
		for _, e := range entries {
			sha := e.Name()
			if d == s.zips {
				sha = trimSuffix(sha, ".zip")
			}
			if validSHA(sha) {
				seen[sha] = true
			}
		}
	}
	for sha := range seen {
		release := s.Hold(sha)
		if keep(sha) {
			release()
			continue
		}
		err := s.Delete(sha)
		release()
		switch {
		case err == nil:
			removed++
		case !errors.Is(err, ErrNotFound):
			return removed, fmt.Errorf("codestore: gc: %w", err)
		}
	}
	return removed, nil
}

func trimSuffix(s, suffix string) string {
	if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)]
	}
	return ""
}

// removeAll removes path like os.RemoveAll after giving every directory
// under it write permission back, which read-only trees lack.
func removeAll(path string) error {
	_ = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(path)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
