package images

import "errors"

var (
	// ErrEscape is a layer entry whose path or link target lies outside
	// the root filesystem.
	ErrEscape = errors.New("images: layer entry escapes the root")
	// ErrNotFound is an image, runtime record or image source that does
	// not exist.
	ErrNotFound = errors.New("images: not found")
	// ErrPlatform is an image for another platform than the host's.
	ErrPlatform = errors.New("images: image is for another platform")
	// ErrTooLarge is an image over the size limit (Lambda's 10 GB).
	ErrTooLarge = errors.New("images: image too large")
)
