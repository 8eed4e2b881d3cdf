package images

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
)

// Collect removes every unpacked image that neither a runtime record nor
// inUse (the images of functions, by digest) refers to, and leftovers of
// interrupted unpacks. Run it when no environment uses a root that might
// go: at start, before environments exist. It returns the digests removed.
func (s *Store) Collect(inUse func(digest string) bool) ([]string, error) {
	keep := map[string]bool{}
	records, err := os.ReadDir(filepath.Join(s.dir, "runtimes"))
	if err != nil {
		return nil, err
	}
	for _, e := range records {
		b, err := os.ReadFile(filepath.Join(s.dir, "runtimes", e.Name()))
		var rec Record
		if err == nil && json.Unmarshal(b, &rec) == nil {
			keep[rec.Digest] = true
		}
	}
	dir := filepath.Join(s.dir, "rootfs")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".tmp") {
			_ = os.RemoveAll(filepath.Join(dir, name))
			continue
		}
		hex := strings.TrimSuffix(name, ".json")
		digest := "sha256:" + hex
		if !hexRE.MatchString(hex) || keep[digest] || inUse(digest) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return removed, err
		}
		if !strings.HasSuffix(name, ".json") {
			removed = append(removed, digest)
		}
	}
	return removed, nil
}
