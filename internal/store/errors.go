package store

import "errors"

// Sentinels returned (wrapped with the names involved) by Store methods.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
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
var ErrInUse = errors.New("in use")
