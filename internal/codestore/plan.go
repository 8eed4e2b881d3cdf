package codestore

import (
	"archive/zip"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Limits on names, matching Linux: a path component is at most 255 bytes,
// a path (and a symlink target) at most 4095.
const (
	maxNameBytes      = 4095
	maxComponentBytes = 255
)

type kind uint8

const (
	kindDir kind = iota + 1
	kindFile
	kindSymlink
)

// node is one path of the tree being planned. Paths are kept as a tree of
// nodes rather than a map of strings so that every check below costs time
// linear in the length of the names and targets, whatever a hostile archive
// holds.
type node struct {
	kind     kind
	name     string // slash-separated path relative to the tree root; "" for the root
	parent   *node
	children map[string]*node // directories only
	file     *zip.File        // files only
	exec     bool             // files only
	target   string           // symlinks only

	// Memoized resolution of a symlink: the node its target reaches and how
	// many components past that node do not exist.
	resolving bool
	resolved  bool
	to        *node
	missing   int
}

// plan is the validated shape of an archive, built before anything is
// written to disk.
type plan struct {
	root     *node
	nodes    int // every directory, file and symlink, implicit parents included
	maxNodes int
	files    []*node // in archive order
	links    []*node // in archive order
}

func newPlan(maxNodes int) *plan {
	return &plan{root: &node{kind: kindDir, children: map[string]*node{}}, maxNodes: maxNodes}
}

// cleanName turns a zip entry name into a clean relative slash path, or
// rejects it. The returned name is "" for an entry naming the root itself.
func cleanName(raw string) (name string, isDir bool, err error) {
	switch {
	case raw == "":
		return "", false, fmt.Errorf("%w: empty entry name", ErrUnsafePath)
	case len(raw) > maxNameBytes:
		return "", false, fmt.Errorf("%w: entry name of %d bytes is longer than %d", ErrUnsafePath, len(raw), maxNameBytes)
	case strings.ContainsAny(raw, "\\\x00"):
		return "", false, fmt.Errorf("%w: entry %q contains a backslash or nul byte", ErrUnsafePath, raw)
	case raw[0] == '/':
		return "", false, fmt.Errorf("%w: entry %q is an absolute path", ErrUnsafePath, raw)
	case len(raw) >= 2 && raw[1] == ':' && isLetter(raw[0]):
		return "", false, fmt.Errorf("%w: entry %q starts with a drive letter", ErrUnsafePath, raw)
	}
	isDir = strings.HasSuffix(raw, "/")
	for _, c := range strings.Split(raw, "/") {
		if c == ".." {
			return "", false, fmt.Errorf("%w: entry %q contains \"..\"", ErrUnsafePath, raw)
		}
		if len(c) > maxComponentBytes {
			return "", false, fmt.Errorf("%w: entry %q has a name component longer than %d bytes", ErrUnsafePath, raw, maxComponentBytes)
		}
	}
	name = path.Clean(raw)
	if name == "." {
		name = ""
	}
	return name, isDir, nil
}

func isLetter(b byte) bool { return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }

// entryKind classifies a zip entry and says whether a file is executable.
// Zips built on Windows carry no Unix mode; there a file named bootstrap
// (the entry point of provided.* runtimes) is made executable.
func entryKind(f *zip.File, nameIsDir bool, name string) (k kind, exec bool) {
	mode := f.Mode()
	switch {
	case nameIsDir || mode.IsDir():
		return kindDir, false
	case mode&fs.ModeSymlink != 0:
		return kindSymlink, false
	}
	creator := f.CreatorVersion >> 8
	hasUnixMode := (creator == 3 || creator == 19) && f.ExternalAttrs>>16 != 0
	if hasUnixMode {
		return kindFile, mode&0o111 != 0
	}
	return kindFile, path.Base(name) == "bootstrap"
}

// add records one entry. Implicit parent directories are created; an entry
// whose parent is a file or symlink, or which names an existing file or
// symlink, is rejected: nothing is ever overwritten or written through a
// symlink.
func (p *plan) add(name string, k kind) (*node, error) {
	if name == "" {
		if k != kindDir {
			return nil, fmt.Errorf("%w: a file entry names the root of the archive", ErrUnsafePath)
		}
		return p.root, nil
	}
	cur := p.root
	rest := name
	for {
		c, tail, more := strings.Cut(rest, "/")
		child := cur.children[c]
		switch {
		case child == nil:
			if p.nodes >= p.maxNodes {
				return nil, fmt.Errorf("%w: more than %d files, directories and symlinks", ErrTooManyFiles, p.maxNodes)
			}
			p.nodes++
			child = &node{kind: kindDir, name: joinName(cur.name, c), parent: cur}
			if more {
				child.children = map[string]*node{}
			} else {
				child.kind = k
				if k == kindDir {
					child.children = map[string]*node{}
				}
			}
			cur.children[c] = child
		case more && child.kind != kindDir:
			return nil, fmt.Errorf("%w: entry %q is inside %q, which is not a directory", ErrUnsafePath, name, child.name)
		case !more && (child.kind != kindDir || k != kindDir):
			return nil, fmt.Errorf("%w: duplicate entry %q", ErrUnsafePath, name)
		}
		if !more {
			return child, nil
		}
		cur, rest = child, tail
	}
}

func joinName(dir, c string) string {
	if dir == "" {
		return c
	}
	return dir + "/" + c
}

// checkLinks verifies that every symlink resolves inside the tree, following
// chains of symlinks the way the kernel would.
func (p *plan) checkLinks() error {
	for _, l := range p.links {
		if _, _, err := p.resolveLink(l); err != nil {
			return err
		}
	}
	return nil
}

func (p *plan) resolveLink(l *node) (*node, int, error) {
	if l.resolved {
		return l.to, l.missing, nil
	}
	if l.resolving {
		return nil, 0, fmt.Errorf("%w: symlink %q is part of a loop", ErrUnsafePath, l.name)
	}
	l.resolving = true
	to, missing, err := p.walk(l.parent, l.target, l)
	l.resolving = false
	if err != nil {
		return nil, 0, err
	}
	l.resolved, l.to, l.missing = true, to, missing
	return to, missing, nil
}

// walk follows target from directory start. Components past a path that
// does not exist are counted in missing so that later ".." are still
// accounted for; stepping above the root is an escape.
func (p *plan) walk(start *node, target string, link *node) (*node, int, error) {
	if target == "" || target[0] == '/' {
		return nil, 0, fmt.Errorf("%w: symlink %q has an empty or absolute target %q", ErrUnsafePath, link.name, target)
	}
	cur, missing := start, 0
	for _, c := range strings.Split(target, "/") {
		switch {
		case c == "" || c == ".":
		case c == "..":
			switch {
			case missing > 0:
				missing--
			case cur == p.root:
				return nil, 0, fmt.Errorf("%w: symlink %q points to %q, outside the tree", ErrUnsafePath, link.name, target)
			default:
				cur = cur.parent
			}
		case missing > 0:
			missing++
		default:
			child := cur.children[c]
			switch {
			case child == nil:
				missing = 1
			case child.kind == kindSymlink:
				to, m, err := p.resolveLink(child)
				if err != nil {
					return nil, 0, err
				}
				cur, missing = to, m
			default:
				cur = child
			}
		}
	}
	return cur, missing, nil
}
