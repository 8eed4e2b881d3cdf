// Package images imports OCI and Docker images and unpacks them into
// root filesystems, through github.com/google/go-containerregistry.
//
// An image comes from a registry (Pull), an OCI image layout directory or
// a `docker save` tarball (Import). Its layers are applied in order into
// a directory named by the image's manifest digest, below the store's
// rootfs directory, so an image is unpacked once however often it is
// imported. Layers are applied as the OCI image specification says:
// whiteout files (.wh.NAME) delete what lower layers put at NAME, an
// opaque whiteout (.wh..wh..opq) hides a directory's lower contents, hard
// links and symbolic links are recreated, and every path is resolved
// inside the root, symbolic links included. An entry whose name or link
// target climbs out of the root is refused with ErrEscape, and so is the
// whole image.
//
// Runtime images are recorded by runtime name (Store.SetRuntime), and the
// runtime catalogue reads the record of a name when it resolves it.
package images
