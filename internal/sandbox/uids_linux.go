package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// uidPool hands out one uid (and the gid of the same number) per live
// environment. A uid is held by an exclusive flock on a file named after
// it in a host-wide directory: two Hearth processes on one host never
// hand out the same uid, and the kernel drops the lock of a Hearth that
// dies, so a kill -9 leaks nothing. A uid is free again only once the
// environment that held it is gone.
type uidPool struct {
	dir         string
	first, size int

	mu   sync.Mutex // guards next
	next int        // offset where the search for a free uid starts
}

// uidLease is one held uid.
type uidLease struct {
	uid int
	f   *os.File // holds the flock
}

// uidLockDir is where the uid locks live, shared by every Hearth on the host.
func uidLockDir() string {
	if fi, err := os.Stat("/run"); err == nil && fi.IsDir() {
		return "/run/hearth/uids"
	}
	return filepath.Join(os.TempDir(), "hearth-uids")
}

func newUIDPool(first, size int) (*uidPool, error) {
	dir := uidLockDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("uid lock dir: %w", err)
	}
	return &uidPool{dir: dir, first: first, size: size}, nil
}

// acquire leases a uid nobody holds.
func (u *uidPool) acquire() (*uidLease, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for range u.size {
		uid := u.first + u.next
		u.next = (u.next + 1) % u.size
		f, err := os.OpenFile(filepath.Join(u.dir, strconv.Itoa(uid)), os.O_RDONLY|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("uid lock: %w", err)
		}
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return &uidLease{uid: uid, f: f}, nil
		}
		_ = f.Close()
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("uid lock: %w", err)
		}
	}
	return nil, fmt.Errorf("all %d uids from %d are in use", u.size, u.first)
}

// release frees the uid; every process that ran as it must be gone.
func (l *uidLease) release() {
	if l != nil && l.f != nil {
		_ = l.f.Close()
		l.f = nil
	}
}
