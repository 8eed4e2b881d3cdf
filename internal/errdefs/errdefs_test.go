package errdefs

import (
	"errors"
	"fmt"
	"testing"
)

func TestClasses(t *testing.T) {
	errWidgetGone := New(ErrNotFound, "widget not found")
	tests := []struct {
		name  string
		err   error
		class error
		is    func(error) bool
	}{
		{"sentinel", errWidgetGone, ErrNotFound, IsNotFound},
		{"wrapped sentinel", fmt.Errorf("get w1: %w", errWidgetGone), ErrNotFound, IsNotFound},
		{"typed not found", fmt.Errorf("resolve: %w", &NotFoundError{Err: errWidgetGone, ARN: "arn:w1"}), ErrNotFound, IsNotFound},
		{"throttle", fmt.Errorf("run f: %w", &ThrottleError{Reason: "R"}), ErrThrottled, IsThrottled},
		{"conflict", New(ErrConflict, "in use"), ErrConflict, IsConflict},
		{"invalid", New(ErrInvalid, "bad zip"), ErrInvalid, IsInvalid},
	}
	classes := []error{ErrNotFound, ErrConflict, ErrInvalid, ErrTooLarge, ErrThrottled, ErrUnavailable}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.is(tc.err) {
				t.Fatalf("%v not of its class", tc.err)
			}
			for _, c := range classes {
				if got := errors.Is(tc.err, c); got != (c == tc.class) {
					t.Errorf("errors.Is(%v, %v) = %v", tc.err, c, got)
				}
			}
		})
	}
	var nf *NotFoundError
	err := fmt.Errorf("x: %w", &NotFoundError{Err: errWidgetGone, ARN: "arn:w1"})
	if !errors.As(err, &nf) || nf.ARN != "arn:w1" || !errors.Is(err, errWidgetGone) {
		t.Fatalf("NotFoundError lost its ARN or sentinel: %v", err)
	}
	if err.Error() != "x: widget not found: arn:w1" {
		t.Fatalf("Error() = %q", err.Error())
	}
}
