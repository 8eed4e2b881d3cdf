package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule gives the firing times of a rule.
type Schedule interface {
	// Next returns the first firing strictly after after, or the zero time
	// when the schedule never fires again.
	Next(after time.Time) time.Time
}

// maxExpressionLen is EventBridge's limit on ScheduleExpression.
const maxExpressionLen = 256

// Parse parses an EventBridge schedule expression.
func Parse(expr string) (Schedule, error) {
	if len(expr) > maxExpressionLen {
		return nil, invalid(expr, "longer than 256 characters")
	}
	if body, ok := strings.CutPrefix(expr, "rate("); ok && strings.HasSuffix(body, ")") {
		return parseRate(expr, strings.TrimSuffix(body, ")"))
	}
	if body, ok := strings.CutPrefix(expr, "cron("); ok && strings.HasSuffix(body, ")") {
		return parseCron(expr, strings.TrimSuffix(body, ")"))
	}
	return nil, invalid(expr, "neither rate(...) nor cron(...)")
}

// rate fires at a fixed period from the time it is anchored at.
type rate struct {
	every time.Duration
	expr  string
}

func (r rate) Next(after time.Time) time.Time { return after.Add(r.every) }
func (r rate) String() string                 { return r.expr }

// maxRateValue keeps value*unit far from time.Duration's overflow (about
// 292 years): 100000 days.
const maxRateValue = 100000

func parseRate(expr, body string) (Schedule, error) {
	fields := strings.Fields(body)
	if len(fields) != 2 {
		return nil, invalid(expr, "rate needs a value and a unit")
	}
	n, err := strconv.Atoi(fields[0])
	if err != nil || n <= 0 || fields[0][0] == '+' {
		return nil, invalid(expr, "rate value must be a positive integer")
	}
	units := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	unit, plural := strings.CutSuffix(fields[1], "s")
	d, ok := units[unit]
	if !ok {
		return nil, invalid(expr, "rate unit must be minute(s), hour(s) or day(s)")
	}
	if plural != (n > 1) {
		return nil, invalid(expr, "rate unit must be singular for 1 and plural otherwise")
	}
	if int64(n) > int64(maxRateValue)*int64(24*time.Hour/d) {
		return nil, invalid(expr, "rate too long")
	}
	return rate{every: time.Duration(n) * d, expr: expr}, nil
}

// cronField describes one field of a cron expression.
type cronField struct {
	name     string
	lo, hi   int
	names    []string // names[i] stands for lo+i
	question bool     // '?' allowed
}

var (
	monthNames = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
	dayNames   = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

	fieldMinutes = cronField{name: "Minutes", lo: 0, hi: 59}
	fieldHours   = cronField{name: "Hours", lo: 0, hi: 23}
	fieldDOM     = cronField{name: "Day-of-month", lo: 1, hi: 31, question: true}
	fieldMonth   = cronField{name: "Month", lo: 1, hi: 12, names: monthNames}
	fieldDOW     = cronField{name: "Day-of-week", lo: 1, hi: 7, names: dayNames, question: true}
	fieldYear    = cronField{name: "Year", lo: 1970, hi: 2199}
)

// parseList parses a comma-separated list of values, ranges (which may wrap,
// as FRI-MON) and steps into a bit set of lo..hi.
func parseList(expr, s string, f cronField) (bitset, error) {
	var set bitset
	for _, part := range strings.Split(s, ",") {
		rng, stepStr, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n <= 0 || n > f.hi-f.lo+1 || stepStr[0] == '+' {
				return set, invalid(expr, fmt.Sprintf("%s: bad increment %q", f.name, stepStr))
			}
			step = n
		}
		from, to := f.lo, f.hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if from, err = f.value(expr, a); err != nil {
				return set, err
			}
			if to, err = f.value(expr, b); err != nil {
				return set, err
			}
		default:
			v, err := f.value(expr, rng)
			if err != nil {
				return set, err
			}
			from, to = v, v
			if hasStep {
				to = f.hi
			}
		}
		span := to - from
		if span < 0 { // wrapping range
			span += f.hi - f.lo + 1
		}
		for i := 0; i <= span; i += step {
			v := from + i
			if v > f.hi {
				v -= f.hi - f.lo + 1
			}
			set.set(v - f.lo)
		}
	}
	return set, nil
}

// value parses one number or name of the field.
func (f cronField) value(expr, s string) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.lo + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < f.lo || v > f.hi || s == "" || s[0] == '+' || s[0] == '-' {
		return 0, invalid(expr, fmt.Sprintf("%s: %q is not in %d-%d", f.name, s, f.lo, f.hi))
	}
	return v, nil
}

// bitset holds up to 256 small integers.
type bitset [4]uint64

func (b *bitset) set(i int)     { b[i>>6] |= 1 << (i & 63) }
func (b bitset) has(i int) bool { return i >= 0 && i < 256 && b[i>>6]&(1<<(i&63)) != 0 }
