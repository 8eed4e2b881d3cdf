package sandbox

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/testenv"
)

// memScaleOut is a ScaleOutStore in memory.
type memScaleOut struct {
	mu    sync.Mutex // guards so and saves
	so    ScaleOut
	saves int
}

func (s *memScaleOut) LoadScaleOut() (ScaleOut, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.so, nil
}

func (s *memScaleOut) SaveScaleOut(so ScaleOut) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.so = so
	s.saves++
	return nil
}

func (s *memScaleOut) saved() (ScaleOut, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.so, s.saves
}

// A Manager remembers the recent scale-out across a restart: the next one
// sizes its ready pool from it at once (decayed by the time between), and
// saves the scale-out it sees in turn.
func TestScaleOutRemembered(t *testing.T) {
	testenv.NeedRoot(t, "isolated mode (namespaces, mounts, cgroups)")
	newM := func(store ScaleOutStore) *Manager {
		m, err := New(Options{StateDir: t.TempDir(), CgroupParent: testCgroupParent, Prestart: 4, ScaleOut: store,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	cases := []struct {
		name  string
		saved ScaleOut
		want  int // kept inits aimed for
	}{
		{"nothing saved", ScaleOut{}, 1},
		{"a burst just before", ScaleOut{Peak: 3, At: time.Now()}, 3},
		{"a burst long ago", ScaleOut{Peak: 3, At: time.Now().Add(-time.Hour)}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := &memScaleOut{so: tc.saved}
			m := newM(store)
			defer m.Close()
			waitFor(t, "the ready pool at its target", func() bool { return len(m.kept) >= tc.want })
			time.Sleep(50 * time.Millisecond)
			if rp := m.ReadyPool(); rp.Target != tc.want || rp.Inits != tc.want {
				t.Errorf("ReadyPool() = %+v, want %d inits aimed for and kept", rp, tc.want)
			}
		})
	}
	// What a Manager sees, its successor reads.
	store := &memScaleOut{}
	m := newM(store)
	for range 2 {
		start(t, m, spec(m, nil, "sleep"))
	}
	m.Close()
	if so, n := store.saved(); so.Peak != 2 || so.At.IsZero() || n == 0 {
		t.Fatalf("saved %+v (%d saves) after 2 Starts, want a peak of 2", so, n)
	}
	m = newM(store)
	defer m.Close()
	waitFor(t, "two kept inits after the restart", func() bool { return len(m.kept) >= 2 })
}
