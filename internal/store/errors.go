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
)

// ErrInUse is returned (as an *InUseError) when a version cannot be
// deleted because aliases route to it.
var ErrInUse = errdefs.New(errdefs.ErrConflict, "in use")
