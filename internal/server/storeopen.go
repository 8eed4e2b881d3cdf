package server

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/hearth-run/hearth/internal/store"
)

// openStore opens the data dir's metadata store. A damaged or missing store
// stops Hearth with a message that names the file and says how to recover;
// Hearth never starts over on an empty store beside an earlier run's code
// and logs.
func openStore(dir string, log *slog.Logger) (*store.Store, error) {
	path := filepath.Join(dir, "hearth.db")
	st, err := store.Open(path, &store.Options{Existing: earlierRun(dir)})
	switch {
	case errors.Is(err, store.ErrLocked):
		return nil, fmt.Errorf("data dir %s is locked by another running Hearth; stop it or choose another --data-dir", dir)
	case errors.Is(err, store.ErrCorrupt), errors.Is(err, store.ErrMissing):
		return nil, fmt.Errorf("%w\nHearth did not start, so as to leave the data dir as it is. To recover: back up %s; "+
			"run `hearth store check --data-dir %s` to see the damage; then restore hearth.db from a backup, "+
			"or move it aside to start with an empty store (functions must then be created again)", err, dir, dir)
	case err != nil:
		return nil, err
	}
	if !st.Clean {
		log.Warn("the previous run did not shut down cleanly; the store was checked and is sound", "path", path)
	}
	return st, nil
}

// earlierRun reports whether the data dir holds code packages or function
// logs, that is, functions an earlier run knew.
func earlierRun(dir string) bool {
	for _, sub := range []string{filepath.Join("code", "zips"), "logs"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err == nil && len(entries) > 0 {
			return true
		}
	}
	return false
}
