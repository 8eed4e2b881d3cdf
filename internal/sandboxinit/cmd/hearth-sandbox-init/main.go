// Command hearth-sandbox-init is the init of an isolated execution
// environment (see internal/sandboxinit). Hearth embeds it; it is not run
// by hand.
package main

import (
	"os"

	"github.com/hearth-run/hearth/internal/sandboxinit"
)

func main() {
	sandboxinit.Main() // never returns when started by Hearth
	os.Stderr.WriteString("hearth-sandbox-init: the init of Hearth's environments; Hearth starts it\n")
	os.Exit(2)
}
