package codestore

import (
	"errors"

	"github.com/hearth-run/hearth/internal/errdefs"
)

// Sentinel errors. Errors returned by the Store wrap one of these with the
// details involved (entry name, sizes, limits); test with errors.Is. Those
// about the uploaded content belong to an errdefs class.
var (
	// ErrNotZip reports bytes that are not a readable zip archive: a bad
	// structure, a corrupt or encrypted entry, an unsupported compression
	// method, or an entry whose real size or checksum differs from its header.
	ErrNotZip = errdefs.New(errdefs.ErrInvalid, "not a valid zip file")

	// ErrZipTooLarge reports a zip larger than Options.MaxZipBytes.
	ErrZipTooLarge = errdefs.New(errdefs.ErrTooLarge, "zip file too large")

	// ErrUnzippedTooLarge reports an archive whose decompressed content is
	// larger than Options.MaxUnzippedBytes.
	ErrUnzippedTooLarge = errdefs.New(errdefs.ErrInvalid, "unzipped size too large")

	// ErrUnsafePath reports an entry that would land outside the tree or
	// overwrite another entry: "..", absolute paths, drive letters,
	// backslashes, duplicates, and symlinks whose target leaves the tree.
	ErrUnsafePath = errdefs.New(errdefs.ErrInvalid, "unsafe path in zip file")

	// ErrTooManyFiles reports an archive with more than Options.MaxFiles
	// files, directories and symlinks.
	ErrTooManyFiles = errdefs.New(errdefs.ErrInvalid, "too many files in zip file")

	// ErrNotFound reports a digest with no stored code.
	ErrNotFound = errors.New("code not found")

	// ErrLocked reports a store directory already opened by another Store.
	ErrLocked = errors.New("code store directory is in use")
)
