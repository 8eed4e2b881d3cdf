package codestore

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncTree flushes everything written under dir. One syncfs(2) of the
// filesystem costs far less than an fsync per file and directory of a tree
// with thousands of entries (node_modules, site-packages): for a 97-file
// 2 MB package, measured 0.05-0.2 s against 0.6-0.9 s on a busy 2-core
// machine. The price: it also waits for other writers' dirty data on the
// same filesystem.
func syncTree(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
