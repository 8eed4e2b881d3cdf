// Package codestore keeps Hearth's function code packages: the zip files
// uploaded with CreateFunction and UpdateFunctionCode, addressed by the
// sha256 of their bytes, each next to its unpacked, read-only tree.
//
// # Layout
//
// Under Options.Dir:
//
//	zips/<hex>.zip   the uploaded zip, served back for GetFunction downloads
//	trees/<hex>/     the unpacked tree, mounted read-only at /var/task
//	opt/<key>/       trees of several packages merged in order (Lambda
//	                 layers at /opt), hard links into trees/; emptied by Open
//	tmp/             work in progress; emptied by Open
//	LOCK             held (flock) by the one Store using the directory
//
// Code is present when both its zip and its tree exist.
//
// # Guarantees
//
// Put validates the whole archive before anything is visible: entry names
// cannot leave the tree ("..", absolute paths, drive letters, backslashes),
// no entry overwrites another or is written through a symlink, symlinks are
// relative and resolve inside the tree (following chains of symlinks), and
// the number of entries and the real number of decompressed bytes are
// bounded; header sizes are never trusted, decompression stops as soon as
// the limit is passed.
//
// Put writes into tmp/, flushes everything to disk, then renames the tree and
// then the zip into place. A crash at any point leaves only entries in tmp/
// (removed by the next Open) or a complete tree without its zip (not
// present; replaced by the next Put of that code, or removed by GC).
//
// Trees are made read-only (files 0444, or 0555 when executable; directories
// 0555) and world-readable, so that an unprivileged uid can run the code but
// nobody, Hearth included, modifies it later. Delete and GC restore write
// permission just before removing.
//
// # Concurrency
//
// A Store is safe for concurrent use. Puts of the same content may run
// concurrently; one of them publishes, the others find it published.
// The caller decides which code is still referenced: GC removes every digest
// for which keep returns false. Hold serialises that decision per digest:
// a caller holds the digest from its Put until the record that refers to
// the code is committed, and from its check for references through its
// Delete; GC holds each digest while it asks keep and deletes. So code is
// never removed between its Put and the commit that needs it.
package codestore
