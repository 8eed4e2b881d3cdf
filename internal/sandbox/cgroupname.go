package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
)

// StoreFile is the file in a Hearth's data dir that holds its metadata:
// bbolt keeps an exclusive flock on it while Hearth runs, which is how a
// Hearth from before the owner locks (cgroupowner_linux.go) is known to
// be alive.
const StoreFile = "hearth.db"

// CgroupParentFor names the cgroup that holds the environments of the
// Hearth whose data dir is dataDir. It is unique per data dir, so that two
// Hearths on one machine never remove each other's environments when
// cleaning up after a crash.
func CgroupParentFor(dataDir string) string {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	sum := sha256.Sum256([]byte(abs))
	return parentPrefix + hex.EncodeToString(sum[:6])
}

// parentPrefix begins every name CgroupParentFor returns; a name of the
// prefix and twelve hex digits is one that a stale-cgroup sweep may
// remove.
const parentPrefix = "hearth-"

// isDataDirParent reports whether name is one CgroupParentFor returns.
func isDataDirParent(name string) bool {
	if len(name) != len(parentPrefix)+12 || name[:len(parentPrefix)] != parentPrefix {
		return false
	}
	for _, c := range name[len(parentPrefix):] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
