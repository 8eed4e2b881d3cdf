package schedule

import (
	"testing"
	"time"
)

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func TestCronNext(t *testing.T) {
	tests := []struct {
		name  string
		expr  string
		after time.Time
		want  []time.Time // successive firings
	}{
		{"daily at 10:00", "cron(0 10 * * ? *)", utc(2026, 3, 1, 10, 0),
			[]time.Time{utc(2026, 3, 2, 10, 0), utc(2026, 3, 3, 10, 0)}},
		{"strictly after, seconds dropped", "cron(* * * * ? *)", time.Date(2026, 3, 1, 10, 0, 59, 999, time.UTC),
			[]time.Time{utc(2026, 3, 1, 10, 1), utc(2026, 3, 1, 10, 2)}},
		{"every 15 min", "cron(0/15 * * * ? *)", utc(2026, 3, 1, 10, 50),
			[]time.Time{utc(2026, 3, 1, 11, 0), utc(2026, 3, 1, 11, 15)}},
		{"1/10 starts at minute 1", "cron(1/10 * * * ? *)", utc(2026, 3, 1, 10, 2),
			[]time.Time{utc(2026, 3, 1, 10, 11), utc(2026, 3, 1, 10, 21)}},
		{"weekdays 18:00", "cron(0 18 ? * MON-FRI *)", utc(2026, 3, 6, 18, 0), // Friday
			[]time.Time{utc(2026, 3, 9, 18, 0), utc(2026, 3, 10, 18, 0)}},
		{"business hours every 5", "cron(0/5 8-17 ? * MON-FRI *)", utc(2026, 3, 6, 17, 55),
			[]time.Time{utc(2026, 3, 9, 8, 0), utc(2026, 3, 9, 8, 5)}},
		{"first of month", "cron(0 8 1 * ? *)", utc(2026, 1, 15, 0, 0),
			[]time.Time{utc(2026, 2, 1, 8, 0), utc(2026, 3, 1, 8, 0)}},
		{"last day of month", "cron(0 0 L * ? *)", utc(2026, 1, 31, 0, 0),
			[]time.Time{utc(2026, 2, 28, 0, 0), utc(2026, 3, 31, 0, 0), utc(2026, 4, 30, 0, 0)}},
		{"last day in leap February", "cron(0 0 L 2 ? *)", utc(2027, 3, 1, 0, 0),
			[]time.Time{utc(2028, 2, 29, 0, 0), utc(2029, 2, 28, 0, 0)}},
		{"last weekday", "cron(0 0 LW * ? *)", utc(2026, 1, 1, 0, 0), // Jan 31 2026 is Sat, May 31 Sun
			[]time.Time{utc(2026, 1, 30, 0, 0), utc(2026, 2, 27, 0, 0), utc(2026, 3, 31, 0, 0)}},
		{"nearest weekday to 15th", "cron(0 0 15W * ? *)", utc(2026, 1, 1, 0, 0), // Feb 15 2026 is Sun, Mar 15 Sun
			[]time.Time{utc(2026, 1, 15, 0, 0), utc(2026, 2, 16, 0, 0), utc(2026, 3, 16, 0, 0)}},
		{"1W on a Saturday stays in month", "cron(0 0 1W * ? *)", utc(2026, 7, 31, 0, 0), // Aug 1 2026 is Sat
			[]time.Time{utc(2026, 8, 3, 0, 0)}},
		{"31W in short months skipped", "cron(0 0 31W * ? *)", utc(2026, 1, 1, 0, 0), // Jan 31 Sat
			[]time.Time{utc(2026, 1, 30, 0, 0), utc(2026, 3, 31, 0, 0)}},
		{"second Tuesday", "cron(0 9 ? * 3#2 *)", utc(2026, 1, 1, 0, 0),
			[]time.Time{utc(2026, 1, 13, 9, 0), utc(2026, 2, 10, 9, 0)}},
		{"fifth Friday only when it exists", "cron(0 0 ? * FRI#5 *)", utc(2026, 1, 1, 0, 0),
			[]time.Time{utc(2026, 1, 30, 0, 0), utc(2026, 5, 29, 0, 0)}},
		{"last Friday", "cron(0 0 ? * 6L *)", utc(2026, 1, 1, 0, 0),
			[]time.Time{utc(2026, 1, 30, 0, 0), utc(2026, 2, 27, 0, 0)}},
		{"L in day-of-week is Saturday", "cron(0 0 ? * L *)", utc(2026, 3, 1, 0, 0),
			[]time.Time{utc(2026, 3, 7, 0, 0), utc(2026, 3, 14, 0, 0)}},
		{"wrapping hours", "cron(0 22-1 * * ? *)", utc(2026, 3, 1, 12, 0),
			[]time.Time{utc(2026, 3, 1, 22, 0), utc(2026, 3, 1, 23, 0), utc(2026, 3, 2, 0, 0), utc(2026, 3, 2, 1, 0), utc(2026, 3, 2, 22, 0)}},
		{"wrapping weekdays", "cron(0 0 ? * FRI-SUN *)", utc(2026, 3, 2, 0, 0), // Monday
			[]time.Time{utc(2026, 3, 6, 0, 0), utc(2026, 3, 7, 0, 0), utc(2026, 3, 8, 0, 0), utc(2026, 3, 13, 0, 0)}},
		{"month list and year range", "cron(30 6 1 JAN,JUL ? 2030-2031)", utc(2026, 1, 1, 0, 0),
			[]time.Time{utc(2030, 1, 1, 6, 30), utc(2030, 7, 1, 6, 30), utc(2031, 1, 1, 6, 30), utc(2031, 7, 1, 6, 30), {}}},
		{"year step", "cron(0 0 1 1 ? 2030/5)", utc(2031, 1, 1, 0, 0),
			[]time.Time{utc(2035, 1, 1, 0, 0), utc(2040, 1, 1, 0, 0)}},
		{"past year never fires", "cron(0 0 1 1 ? 2020)", utc(2026, 1, 1, 0, 0), []time.Time{{}}},
		{"impossible date never fires", "cron(0 0 30 FEB ? *)", utc(2026, 1, 1, 0, 0), []time.Time{{}}},
		{"before 1970 starts at 1970", "cron(0 0 1 1 ? *)", utc(1960, 6, 1, 0, 0), []time.Time{utc(1970, 1, 1, 0, 0)}},
		{"non-UTC input", "cron(0 10 * * ? *)", time.Date(2026, 3, 1, 20, 0, 0, 0, time.FixedZone("KST", 9*3600)),
			[]time.Time{utc(2026, 3, 2, 10, 0)}},
		{"dom list with step", "cron(0 0 1/10 * ? *)", utc(2026, 3, 1, 0, 0),
			[]time.Time{utc(2026, 3, 11, 0, 0), utc(2026, 3, 21, 0, 0), utc(2026, 3, 31, 0, 0), utc(2026, 4, 1, 0, 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.expr)
			if err != nil {
				t.Fatalf("Parse(%q): %v (%s)", tt.expr, err, reason(err))
			}
			at := tt.after
			for i, want := range tt.want {
				got := s.Next(at)
				if !got.Equal(want) {
					t.Fatalf("firing %d after %v = %v, want %v", i, at, got, want)
				}
				at = got
			}
		})
	}
}
