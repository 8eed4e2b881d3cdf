package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		expr  string
		every time.Duration // for rates
	}{
		{"rate(1 minute)", time.Minute},
		{"rate(5 minutes)", 5 * time.Minute},
		{"rate(1 hour)", time.Hour},
		{"rate(12 hours)", 12 * time.Hour},
		{"rate(1 day)", 24 * time.Hour},
		{"rate(2 days)", 48 * time.Hour},
		{"cron(0 10 * * ? *)", 0},
		{"cron(15 12 * * ? *)", 0},
		{"cron(0 18 ? * MON-FRI *)", 0},
		{"cron(0 8 1 * ? *)", 0},
		{"cron(0/15 * * * ? *)", 0},
		{"cron(0/10 * ? * MON-FRI *)", 0},
		{"cron(0/5 8-17 ? * MON-FRI *)", 0},
		{"cron(0 9 ? * 2#1 *)", 0},
		{"cron(0 0 L * ? *)", 0},
		{"cron(0 0 LW * ? *)", 0},
		{"cron(0 0 15W * ? *)", 0},
		{"cron(0 0 ? * 6L *)", 0},
		{"cron(0 0 ? * L *)", 0},
		{"cron(0 0 1 JAN,JUL ? 2030-2032)", 0},
		{"cron(*/1 * * * ? *)", 0},
		{"cron(0 22-2 * * ? *)", 0},
		{"cron(0 0 ? * FRI-MON *)", 0},
		{"cron(0  0  1  1  ?  2199)", 0},
		{"cron(0 0 ? * sun *)", 0},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			s, err := Parse(tt.expr)
			if err != nil {
				t.Fatalf("Parse: %v (%s)", err, reason(err))
			}
			if tt.every != 0 {
				at := time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC)
				if got := s.Next(at); got != at.Add(tt.every) {
					t.Errorf("Next(%v) = %v, want %v", at, got, at.Add(tt.every))
				}
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []string{
		"", "rate", "rate()", "rate(1)", "rate(minute)", "rate(0 minutes)", "rate(-1 minutes)",
		"rate(1 minutes)", "rate(5 minute)", "rate(1 hours)", "rate(5 hour)", "rate(2 weeks)",
		"rate(1.5 minutes)", "rate(+1 minute)", "rate(1 minute", "RATE(1 minute)", "rate(1 minute) ",
		"rate(99999999999 days)", "rate(100001 days)",
		"cron(0 10 * * * *)", "cron(0 10 ? * ? *)", "cron(0 10 * * ?)", "cron(0 10 * * ? * *)",
		"cron(60 10 * * ? *)", "cron(0 24 * * ? *)", "cron(0 0 32 * ? *)", "cron(0 0 0 * ? *)",
		"cron(0 0 1 13 ? *)", "cron(0 0 ? * 8 *)", "cron(0 0 ? * 0 *)", "cron(0 0 1 * ? 1969)",
		"cron(0 0 1 * ? 2200)", "cron(0/0 * * * ? *)", "cron(a * * * ? *)", "cron(0 0 1,,2 * ? *)",
		"cron(0 0 1-2-3 * ? *)", "cron(0 0 -1 * ? *)", "cron(0 0 L * 2 *)", "cron(0 0 ? * 2#6 *)",
		"cron(0 0 ? * 2#1,3#2 *)", "cron(0 0 32W * ? *)", "cron(0 0 ? * 9L *)", "cron(0 L * * ? *)",
		"cron(? 0 1 * ? *)", "cron(0 0 W * ? *)", "cron(0 0 1 FOO ? *)", "cron(*-5 0 1 * ? *)",
		"cron()", "at(2026-01-01T00:00:00)", "cron(0 0 1 * ? *" + strings.Repeat(" ", 260) + ")",
	}
	for _, expr := range tests {
		t.Run(expr, func(t *testing.T) {
			_, err := Parse(expr)
			if !errors.Is(err, ErrInvalidExpression) {
				t.Fatalf("Parse(%q) = %v, want ErrInvalidExpression", expr, err)
			}
			if err.Error() != "Parameter ScheduleExpression is not valid." {
				t.Errorf("message = %q", err.Error())
			}
		})
	}
}

func reason(err error) string {
	var e *ExpressionError
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"rate(1 minute)", "rate(5 minutes)", "cron(0 10 * * ? *)", "cron(0/5 8-17 ? * MON-FRI *)",
		"cron(0 0 L * ? *)", "cron(0 0 15W * ? 2030)", "cron(0 9 ? * 2#1 *)", "cron(0 0 ? * 6L *)", "cron(0 22-2 * * ? *)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := Parse(expr)
		if err != nil {
			if !errors.Is(err, ErrInvalidExpression) {
				t.Fatalf("Parse(%q) error %v is not ErrInvalidExpression", expr, err)
			}
			return
		}
		at := time.Date(2026, 5, 17, 13, 7, 0, 0, time.UTC)
		next := s.Next(at)
		if !next.IsZero() && !next.After(at) {
			t.Fatalf("Parse(%q).Next(%v) = %v, not after", expr, at, next)
		}
	})
}
