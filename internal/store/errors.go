package store

import "errors"

// Sentinels returned (wrapped with the names involved) by Store methods.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrLocked   = errors.New("database is locked by another running Hearth")
)

// ErrInUse is returned (as an *InUseError) when a version cannot be
// deleted because aliases route to it.
var ErrInUse = errors.New("in use")
