package sandbox

import "github.com/hearth-run/hearth/internal/sandboxinit"

// Init runs the sandbox init when this process was started as one (see
// the package documentation) and then never returns. In any other process
// it returns at once. Call it first thing in main and in TestMain: it is
// what lets the program re-execute itself as the init when no init is
// embedded.
// It also serves as a spawner (spawner_linux.go) when started as one.
func Init() {
	spawnerMain()
	sandboxinit.Main()
}
