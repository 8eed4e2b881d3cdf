package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/hearth-run/hearth/internal/store"
)

// storeCmd runs `hearth store check`: bbolt's consistency check of a data
// dir's metadata store, read-only. It exits 0 when the store is sound, 1
// when it is damaged, 2 when it cannot be checked (for one, while a Hearth
// runs on the data dir).
func storeCmd(_ context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: hearth store check [--data-dir DIR]")
		return 2
	}
	fs := flag.NewFlagSet("hearth store check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := getenv("HEARTH_DATA_DIR")
	if dir == "" {
		dir = "./hearth-data"
	}
	fs.StringVar(&dir, "data-dir", dir, "data dir whose store to check (env HEARTH_DATA_DIR)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	path := filepath.Join(dir, "hearth.db")
	problems, err := store.Check(path, time.Second)
	if errors.Is(err, store.ErrLocked) {
		fmt.Fprintf(stderr, "hearth store check: %s is in use by a running Hearth; stop it first\n", path)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "hearth store check: %v\n", err)
		return 2
	}
	if len(problems) == 0 {
		fmt.Fprintf(stdout, "%s: OK\n", path)
		return 0
	}
	fmt.Fprintf(stdout, "%s is damaged:\n", path)
	for _, p := range problems {
		fmt.Fprintf(stdout, "  %s\n", p)
	}
	fmt.Fprintln(stdout, "Restore hearth.db from a backup, or move it aside to start with an empty store.")
	return 1
}
