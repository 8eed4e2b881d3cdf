package sandbox

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Strays. A spawner clones an init with CLONE_PARENT, so the init is
// Hearth's child, and Hearth learns its pid only from the spawner's
// answer. Two clones never get that far: one whose exec fails (Go's
// fork in the spawner then waits for the child, which is not its own, and
// the child stays a zombie of Hearth), and one made by a spawner that dies
// before it answers (the init lives on, then exits and stays a zombie).
// Each spawner is started from a thread of its own, so the children of
// that thread are the spawner and the inits it cloned; and since a spawner
// serves one clone at a time, those whose pid Hearth has not learned,
// when a clone fails, are strays of that clone: Hearth kills and reaps
// them (reapStrays).

// spawnedInits are the pids of the inits spawners cloned that their
// owners have not waited for yet.
type spawnedInits struct {
	mu sync.Mutex // guards pids
	// pids counts each pid: a pid waited for may be given to another
	// init before its first owner forgets it.
	pids map[int]int
}

// add records pid, an init a spawner cloned and whose owner will wait
// for it.
func (s *spawnedInits) add(pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pids == nil {
		s.pids = map[int]int{}
	}
	s.pids[pid]++
}

// forget drops pid once its owner has waited for it; a pid that was never
// added is ignored.
func (s *spawnedInits) forget(pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pids[pid] <= 1 {
		delete(s.pids, pid)
		return
	}
	s.pids[pid]--
}

// has reports whether pid is an init Hearth knows.
func (s *spawnedInits) has(pid int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pids[pid] > 0
}

// reapStrays kills and reaps the children of sp's thread that are
// neither sp nor an init Hearth knows, and returns how many. The caller
// holds sp, so that no clone of sp is under way.
func (m *Manager) reapStrays(sp *spawner) int {
	if sp.tid == 0 {
		return 0
	}
	n := 0
	for _, pid := range threadChildren(sp.tid) {
		if pid == sp.cmd.Process.Pid || m.spawned.has(pid) {
			continue
		}
		_ = unix.Kill(pid, unix.SIGKILL) // a zombie ignores it
		for {
			// Blocks at most until the kill takes effect: pid is this
			// process's child, so it cannot have been reused.
			_, err := unix.Wait4(pid, nil, unix.WALL, nil)
			if !errors.Is(err, unix.EINTR) {
				break
			}
		}
		n++
	}
	if n > 0 {
		m.log.Warn("sandbox: reaped inits a failed spawn left behind", "count", n, "spawner", sp.cmd.Process.Pid)
	}
	return n
}

// threadChildren lists the children of this process's thread tid.
func threadChildren(tid int) []int {
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/children")
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}
