//go:build !amd64 && !arm64

package sandbox

import "embed"

// initBin is empty: no sandbox init is built for this architecture, and
// hearth re-executes itself as each environment's init.
var initBin embed.FS
