//go:build (!amd64 && !arm64) || hearth_noinit

package sandbox

import "embed"

// initBin is empty: no sandbox init is built for this architecture, or
// the build asked for none (-tags hearth_noinit, which go run ./bench
// compare uses as its baseline), and hearth re-executes itself as each
// environment's init.
var initBin embed.FS
