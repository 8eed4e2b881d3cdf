package pool

import (
	"errors"
	"fmt"
)

// State is where an environment is in its lifecycle.
type State uint8

// The lifecycle of an environment:
//
//	Starting ─▶ Busy ⇄ Idle ─▶ Stopping ─▶ Stopped
//	   │          │      ▲
//	   └─▶ Idle ──┘      │ (provisioned environments start Idle)
//	   └──────────────────────────▶ Stopping
//
// An Idle environment is frozen (or about to be). An environment that
// timed out, crashed, ran out of memory or failed init goes from Busy or
// Starting straight to Stopping and is never reused.
const (
	Starting State = iota // bootstrap started, Init running
	Idle                  // initialised, waiting for a request, frozen
	Busy                  // serving exactly one request
	Stopping              // shutting down: SIGTERM, then SIGKILL
	Stopped               // gone; all resources released
)

var stateNames = [...]string{"Starting", "Idle", "Busy", "Stopping", "Stopped"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", s)
}

// MarshalText encodes the state by name.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ErrInvalidTransition is returned, wrapped with both states, for a change
// of state the lifecycle does not allow.
var ErrInvalidTransition = errors.New("invalid environment state transition")

// transitions is the lifecycle's one table: from -> allowed targets.
var transitions = [...][]State{
	Starting: {Idle, Busy, Stopping},
	Idle:     {Busy, Stopping},
	Busy:     {Idle, Stopping},
	Stopping: {Stopped},
	Stopped:  {},
}

// transition checks that from -> to is allowed.
func transition(from, to State) error {
	if int(from) < len(transitions) {
		for _, t := range transitions[from] {
			if t == to {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: %s -> %s", ErrInvalidTransition, from, to)
}
