//go:build !linux || (!amd64 && !arm64)

package sandbox

// quietStops does nothing where struct sigaction's layout is not known.
func quietStops() {}
