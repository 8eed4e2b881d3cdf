package sandbox

import (
	"context"
	"log/slog"

	"golang.org/x/sys/unix"
)

// The moments of an isolated start, in order; phaseConfig, phaseRoot and
// phaseExec are the init's (see sandboxinit.Stamps).
const (
	phaseBegin  = iota // Start began
	phaseInit          // an init taken (kept) or spawned and ready
	phaseTrees         // the function's trees cloned
	phaseLimits        // the cgroup renamed and limited
	phaseConfig        // the init received its Config (its one wake-up)
	phaseRoot          // the init attached the trees, the socket closed
	phaseExec          // the init dropped its privileges, just before execve
	phaseSeen          // Hearth saw the execve (the status pipe's end)
	phaseCount
)

// phaseNames are the keys of the debug log line, in microseconds since
// phaseBegin.
var phaseNames = [phaseCount]string{"", "init_us", "trees_us", "limits_us", "config_us", "root_us", "exec_us", "seen_us"}

// startTimes are the CLOCK_MONOTONIC times of one start's phases.
type startTimes struct{ at [phaseCount]int64 }

// logStart writes the phases of a start at debug level ("sandbox: start
// phases"; go run ./bench isolation reads them).
func (m *Manager) logStart(id string, st *startTimes) {
	if !m.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	attrs := []any{"env", id}
	for i := phaseInit; i < phaseCount; i++ {
		us := int64(-1) // the init sent no times
		if st.at[i] != 0 {
			us = (st.at[i] - st.at[phaseBegin]) / 1000
		}
		attrs = append(attrs, phaseNames[i], us)
	}
	m.log.Debug("sandbox: start phases", attrs...)
}

// monotonic reads CLOCK_MONOTONIC in nanoseconds, the clock the init
// stamps its steps with.
func monotonic() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}
