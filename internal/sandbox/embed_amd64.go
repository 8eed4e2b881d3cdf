//go:build !hearth_noinit

package sandbox

import "embed"

// initBin holds the sandbox init for amd64 when go generate has built it.
//
//go:embed initbin/amd64
var initBin embed.FS
