package pool

import (
	"errors"
	"testing"
)

func TestTransitions(t *testing.T) {
	all := []State{Starting, Idle, Busy, Stopping, Stopped}
	allowed := map[[2]State]bool{
		{Starting, Idle}: true, {Starting, Busy}: true, {Starting, Stopping}: true,
		{Idle, Busy}: true, {Idle, Stopping}: true,
		{Busy, Idle}: true, {Busy, Stopping}: true,
		{Stopping, Stopped}: true,
	}
	for _, from := range all {
		for _, to := range all {
			t.Run(from.String()+"->"+to.String(), func(t *testing.T) {
				err := transition(from, to)
				if allowed[[2]State{from, to}] {
					if err != nil {
						t.Fatalf("want allowed, got %v", err)
					}
					return
				}
				if !errors.Is(err, ErrInvalidTransition) {
					t.Fatalf("want ErrInvalidTransition, got %v", err)
				}
			})
		}
	}
	if got := State(42).String(); got != "State(42)" {
		t.Fatalf("String of unknown state = %q", got)
	}
}
