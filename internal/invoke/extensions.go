package invoke

import (
	"os"
	"path/filepath"
	"sort"
)

// extensionsLauncher starts every executable in the extensions directory
// in the background, then becomes the runtime: Lambda starts external
// extensions before the runtime, in the same environment. "$0" is the
// extensions directory, "$@" the runtime's command.
const extensionsLauncher = `for x in "$0"/*; do [ -f "$x" ] && [ -x "$x" ] && "$x" & done; exec "$@"`

// externalExtensions lists the executables a function's layers put in
// /opt/extensions, by name (what they register as, on Lambda).
func externalExtensions(optDir string) []string {
	if optDir == "" {
		return nil
	}
	entries, err := os.ReadDir(filepath.Join(optDir, "extensions"))
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if executable(filepath.Join(optDir, "extensions", e.Name())) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// withExtensions wraps a runtime's command so that the external extensions
// at optRoot/extensions start first.
func withExtensions(path string, args []string, optRoot string) (string, []string) {
	return "/bin/sh", append([]string{"-c", extensionsLauncher, optRoot + "/extensions", path}, args...)
}
