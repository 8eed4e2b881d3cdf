package store

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// storeWithData makes a closed database holding enough functions to span
// many pages, and returns its path.
func storeWithData(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hearth.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		fn := newFunction("fn-" + strconv.Itoa(i))
		fn.Latest.Description = strings.Repeat("d", 200)
		if err := s.CreateFunction(fn); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + markerSuffix); !os.IsNotExist(err) {
		t.Fatalf("marker left after a clean close: %v", err)
	}
	return path
}

// TestDamagedStore damages a database in the ways a disk or an operator
// does and checks Open reports each as ErrCorrupt (or ErrMissing) naming
// the file, never panicking, and that Check finds the same damage.
func TestDamagedStore(t *testing.T) {
	tests := []struct {
		name     string
		damage   func(t *testing.T, path string)
		existing bool
		want     error
	}{
		{"truncated", func(t *testing.T, path string) {
			st, _ := os.Stat(path)
			if err := os.Truncate(path, st.Size()/2); err != nil {
				t.Fatal(err)
			}
		}, false, ErrCorrupt},
		{"garbage pages", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			garbage := []byte(strings.Repeat("\xde\xad\xbe\xef", 1024))
			for off := int64(4 * 4096); off+4096 <= st.Size(); off += 3 * 4096 {
				if _, err := f.WriteAt(garbage, off); err != nil {
					t.Fatal(err)
				}
			}
		}, false, ErrCorrupt},
		{"zero length next to existing data", func(t *testing.T, path string) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}, true, ErrMissing},
		{"missing next to existing data", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}, true, ErrMissing},
		{"garbage meta pages", func(t *testing.T, path string) {
			f, _ := os.OpenFile(path, os.O_RDWR, 0)
			defer f.Close()
			f.WriteAt([]byte(strings.Repeat("x", 8192)), 0)
		}, false, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := storeWithData(t)
			tt.damage(t, path)
			s, err := Open(path, &Options{Existing: tt.existing})
			if err == nil {
				s.Close()
				t.Fatal("a damaged store opened")
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v, want %v naming %s", err, tt.want, path)
			}
			if tt.want == ErrCorrupt {
				problems, err := Check(path, 0)
				if err != nil || len(problems) == 0 {
					t.Fatalf("Check: %v %v", problems, err)
				}
			}
		})
	}
}

func TestCleanShutdownMarker(t *testing.T) {
	path := storeWithData(t)
	s, err := Open(path, &Options{Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Clean {
		t.Fatal("previous run closed cleanly, but Clean is false")
	}
	// A crash: the database is never closed, the marker stays. The lock
	// goes with the process; here, with the file handle.
	s.db.Close()
	s, err = Open(path, &Options{Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Clean {
		t.Fatal("previous run crashed, but Clean is true")
	}
	if problems, err := Check(path, 0); err == nil {
		t.Fatalf("Check took the lock of an open store: %v", problems)
	}
	if _, err := s.Function("fn-7"); err != nil {
		t.Fatal(err)
	}
}
