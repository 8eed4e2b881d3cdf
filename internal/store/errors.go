package store

import (
	"errors"

	"github.com/hearth-run/hearth/internal/errdefs"
)

// Sentinels returned (wrapped with the names involved) by Store methods,
// each in its errdefs class.
var (
	ErrNotFound = errdefs.New(errdefs.ErrNotFound, "not found")
	ErrExists   = errdefs.New(errdefs.ErrConflict, "already exists")
	ErrLocked   = errors.New("database is locked by another running Hearth")
	// ErrCorrupt: the database file fails bbolt's consistency check or
	// cannot be read at all.
	ErrCorrupt = errors.New("database is damaged")
	// ErrMissing: the database is missing or empty while Options.Existing
	// says the data dir holds an earlier run's data.
	ErrMissing = errors.New("database is missing")
)

// ErrInUse is returned (as an *InUseError) when a version cannot be
// deleted because aliases route to it.
var ErrInUse = errdefs.New(errdefs.ErrConflict, "in use")
