package images

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// whiteout markers of the OCI image layer specification.
const (
	whiteoutPrefix = ".wh."
	opaqueWhiteout = ".wh..wh..opq"
)

// maxSymlinkFollows bounds symbolic link resolution, as the kernel's 40.
const maxSymlinkFollows = 40

// layerApplier applies the layers of one image to its root in order.
type layerApplier struct {
	root   string
	budget int64 // bytes of file content still allowed
}

// apply applies one uncompressed layer tar.
func (a *layerApplier) apply(r io.Reader) error {
	tr := tar.NewReader(r)
	created := map[string]bool{} // host paths this layer made
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read layer: %w", err)
		}
		if err := a.entry(tr, hdr, created); err != nil {
			return fmt.Errorf("layer entry %q: %w", hdr.Name, err)
		}
	}
}

// entry applies one tar entry.
func (a *layerApplier) entry(tr *tar.Reader, hdr *tar.Header, created map[string]bool) error {
	rel, err := cleanRel(hdr.Name)
	if err != nil {
		return err
	}
	if rel == "" {
		return nil // the root itself
	}
	dir, base := path.Split(rel)
	parent, err := resolveIn(a.root, dir)
	if err != nil {
		return err
	}
	switch {
	case base == opaqueWhiteout:
		return removeLower(parent, created)
	case strings.HasPrefix(base, whiteoutPrefix):
		return os.RemoveAll(filepath.Join(parent, strings.TrimPrefix(base, whiteoutPrefix)))
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	target := filepath.Join(parent, base)
	created[target] = true
	switch hdr.Typeflag {
	case tar.TypeDir:
		return a.dir(target, hdr)
	case tar.TypeReg:
		return a.file(target, hdr, tr)
	case tar.TypeSymlink:
		if err := replace(target); err != nil {
			return err
		}
		if err := os.Symlink(hdr.Linkname, target); err != nil {
			return err
		}
		return os.Lchown(target, hdr.Uid, hdr.Gid)
	case tar.TypeLink:
		return a.hardLink(target, hdr)
	}
	delete(created, target)
	return nil // devices, FIFOs and the like: the sandbox provides /dev
}

func (a *layerApplier) dir(target string, hdr *tar.Header) error {
	if fi, err := os.Lstat(target); err == nil && !fi.IsDir() {
		if err := os.Remove(target); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		return err
	}
	if err := os.Lchown(target, hdr.Uid, hdr.Gid); err != nil {
		return err
	}
	return os.Chmod(target, hdr.FileInfo().Mode().Perm()|hdr.FileInfo().Mode()&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky))
}

func (a *layerApplier) file(target string, hdr *tar.Header, r io.Reader) error {
	if hdr.Size > a.budget {
		return ErrTooLarge
	}
	a.budget -= hdr.Size
	if err := replace(target); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, r, hdr.Size); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Lchown(target, hdr.Uid, hdr.Gid); err != nil {
		return err
	}
	return os.Chmod(target, hdr.FileInfo().Mode().Perm()|hdr.FileInfo().Mode()&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky))
}

// hardLink links target to an earlier entry of the image, which must lie
// inside the root.
func (a *layerApplier) hardLink(target string, hdr *tar.Header) error {
	rel, err := cleanRel(hdr.Linkname)
	if err != nil || rel == "" {
		return fmt.Errorf("hard link to %q: %w", hdr.Linkname, ErrEscape)
	}
	dir, base := path.Split(rel)
	parent, err := resolveIn(a.root, dir)
	if err != nil {
		return err
	}
	src := filepath.Join(parent, base)
	fi, err := os.Lstat(src)
	if err != nil {
		return fmt.Errorf("hard link to %q: %w", hdr.Linkname, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("hard link to directory %q: %w", hdr.Linkname, ErrEscape)
	}
	if err := replace(target); err != nil {
		return err
	}
	return os.Link(src, target)
}

// replace removes what is at target, unless it is a directory an entry
// for a directory would keep.
func replace(target string) error {
	fi, err := os.Lstat(target)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.IsDir():
		return os.RemoveAll(target)
	}
	return os.Remove(target)
}

// removeLower empties dir of everything lower layers put there.
func removeLower(dir string, created map[string]bool) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if !created[p] {
			if err := os.RemoveAll(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// cleanRel turns an entry name into a clean path relative to the root,
// or ErrEscape when ".." climbs above it.
func cleanRel(name string) (string, error) {
	var out []string
	for _, p := range strings.Split(name, "/") {
		switch p {
		case "", ".":
		case "..":
			if len(out) == 0 {
				return "", fmt.Errorf("%q: %w", name, ErrEscape)
			}
			out = out[:len(out)-1]
		default:
			out = append(out, p)
		}
	}
	return strings.Join(out, "/"), nil
}

// resolveIn resolves rel inside root as a process chrooted there would:
// symbolic links are followed, absolute ones from root, and ".." stops at
// root. Components that do not exist yet are taken as they are. The
// result is a host path below root.
func resolveIn(root, rel string) (string, error) {
	comps := strings.Split(rel, "/")
	var cur []string
	follows := 0
	for len(comps) > 0 {
		c := comps[0]
		comps = comps[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) > 0 {
				cur = cur[:len(cur)-1]
			}
			continue
		}
		next := filepath.Join(append([]string{root}, append(cur, c)...)...)
		fi, err := os.Lstat(next)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			cur = append(cur, c)
			continue
		}
		if follows++; follows > maxSymlinkFollows {
			return "", fmt.Errorf("%q: too many levels of symbolic links", rel)
		}
		link, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(link, "/") {
			cur = nil
		}
		comps = append(strings.Split(link, "/"), comps...)
	}
	return filepath.Join(append([]string{root}, cur...)...), nil
}

// mountPoints are the directories the sandbox mounts over in an image
// root; they must be real directories, not links that would lead a mount
// elsewhere.
var mountPoints = []string{"proc", "dev", "tmp", "var", "var/task", "var/runtime", "opt", "etc"}

// ensureMountPoints makes every mount point a real directory and
// /etc/hosts, when present, a regular file.
func ensureMountPoints(root string) error {
	for _, m := range mountPoints {
		p := filepath.Join(root, m)
		if fi, err := os.Lstat(p); err == nil && !fi.IsDir() {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
	}
	hosts := filepath.Join(root, "etc", "hosts")
	if fi, err := os.Lstat(hosts); err == nil && !fi.Mode().IsRegular() {
		if err := os.RemoveAll(hosts); err != nil {
			return err
		}
		return os.WriteFile(hosts, nil, 0o644)
	}
	return nil
}
