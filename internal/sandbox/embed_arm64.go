//go:build !hearth_noinit

package sandbox

import "embed"

// initBin holds the sandbox init for arm64 when go generate has built it.
//
//go:embed initbin/arm64
var initBin embed.FS
