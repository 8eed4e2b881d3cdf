package codestore

import "errors"

// Sentinel errors. Errors returned by the Store wrap one of these with the
// details involved (entry name, sizes, limits); test with errors.Is.
var (
	// ErrNotZip reports bytes that are not a readable zip archive: a bad
	// structure, a corrupt or encrypted entry, an unsupported compression
	// method, or an entry whose real size or checksum differs from its header.
	ErrNotZip = errors.New("not a valid zip file")

	// ErrZipTooLarge reports a zip larger than Options.MaxZipBytes.
	ErrZipTooLarge = errors.New("zip file too large")

	// ErrUnzippedTooLarge reports an archive whose decompressed content is
	// larger than Options.MaxUnzippedBytes.
	ErrUnzippedTooLarge = errors.New("unzipped size too large")

	// ErrUnsafePath reports an entry that would land outside the tree or
	// overwrite another entry: "..", absolute paths, drive letters,
	// backslashes, duplicates, and symlinks whose target leaves the tree.
	ErrUnsafePath = errors.New("unsafe path in zip file")

	// ErrTooManyFiles reports an archive with more than Options.MaxFiles
	// files, directories and symlinks.
	ErrTooManyFiles = errors.New("too many files in zip file")

	// ErrNotFound reports a digest with no stored code.
	ErrNotFound = errors.New("code not found")

	// ErrLocked reports a store directory already opened by another Store.
	ErrLocked = errors.New("code store directory is in use")
)
