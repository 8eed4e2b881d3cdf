package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cron is a parsed six-field EventBridge cron expression, evaluated in UTC.
type cron struct {
	expr    string
	minutes bitset // 0-59
	hours   bitset // 0-23
	months  bitset // bit m-1 for month m
	years   bitset // bit y-1970
	byDOW   bool   // Day-of-month is '?': days are chosen by Day-of-week
	dom     domSpec
	dow     dowSpec
}

// domSpec is the Day-of-month field.
type domSpec struct {
	days        bitset // bit d-1 for day d
	last        bool   // L: last day of the month
	lastWeekday bool   // LW: last weekday (Mon-Fri) of the month
	nearest     int    // nW: weekday nearest to day n; 0 = none
}

// dowSpec is the Day-of-week field; days are 1 (SUN) to 7 (SAT).
type dowSpec struct {
	days    bitset // bit d-1 for weekday d
	lastOf  int    // nL: last weekday n of the month; 0 = none
	nthDay  int    // d#n: the nth weekday d of the month; 0 = none
	nthWeek int
}

func (c *cron) String() string { return c.expr }

func parseCron(expr, body string) (Schedule, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, invalid(expr, fmt.Sprintf("cron needs 6 fields, got %d", len(f)))
	}
	c := &cron{expr: expr}
	var err error
	if c.minutes, err = parseList(expr, f[0], fieldMinutes); err != nil {
		return nil, err
	}
	if c.hours, err = parseList(expr, f[1], fieldHours); err != nil {
		return nil, err
	}
	if c.months, err = parseList(expr, f[3], fieldMonth); err != nil {
		return nil, err
	}
	if c.years, err = parseList(expr, f[5], fieldYear); err != nil {
		return nil, err
	}
	switch domQ, dowQ := f[2] == "?", f[4] == "?"; {
	case domQ == dowQ:
		return nil, invalid(expr, "exactly one of Day-of-month and Day-of-week must be '?'")
	case dowQ:
		c.dom, err = parseDOM(expr, f[2])
	default:
		c.byDOW = true
		c.dow, err = parseDOW(expr, f[4])
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func parseDOM(expr, s string) (domSpec, error) {
	var d domSpec
	switch {
	case s == "L":
		d.last = true
	case s == "LW":
		d.lastWeekday = true
	case strings.HasSuffix(s, "W"):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "W"))
		if err != nil || n < 1 || n > 31 || s[0] == '+' {
			return d, invalid(expr, "Day-of-month: W needs a single day 1-31")
		}
		d.nearest = n
	default:
		set, err := parseList(expr, s, fieldDOM)
		if err != nil {
			return d, err
		}
		d.days = set
	}
	return d, nil
}

func parseDOW(expr, s string) (dowSpec, error) {
	var d dowSpec
	switch {
	case s == "L":
		d.days.set(6) // L alone is the last day of the week, SAT
	case strings.HasSuffix(s, "L"):
		v, err := fieldDOW.value(expr, strings.TrimSuffix(s, "L"))
		if err != nil {
			return d, err
		}
		d.lastOf = v
	case strings.Contains(s, "#"):
		day, nth, _ := strings.Cut(s, "#")
		v, err := fieldDOW.value(expr, day)
		if err != nil {
			return d, err
		}
		n, err := strconv.Atoi(nth)
		if err != nil || n < 1 || n > 5 || nth[0] == '+' {
			return d, invalid(expr, "Day-of-week: # needs an occurrence 1-5")
		}
		d.nthDay, d.nthWeek = v, n
	default:
		set, err := parseList(expr, s, fieldDOW)
		if err != nil {
			return d, err
		}
		d.days = set
	}
	return d, nil
}

// Next returns the first minute strictly after after that matches, or the
// zero time when none does before the end of 2199.
func (c *cron) Next(after time.Time) time.Time {
	t := after.UTC().Truncate(time.Minute).Add(time.Minute)
	for {
		y, m, d := t.Date()
		switch {
		case y > fieldYear.hi:
			return time.Time{}
		case !c.years.has(y - fieldYear.lo):
			ny := c.nextYear(y)
			if ny == 0 {
				return time.Time{}
			}
			t = time.Date(ny, 1, 1, 0, 0, 0, 0, time.UTC)
		case !c.months.has(int(m) - 1):
			t = time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
		case !c.dayMatches(y, m, d):
			t = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
		case !c.hours.has(t.Hour()):
			t = time.Date(y, m, d, t.Hour()+1, 0, 0, 0, time.UTC)
		case !c.minutes.has(t.Minute()):
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
}

// nextYear returns the first year after y in the Year field, or 0.
func (c *cron) nextYear(y int) int {
	for ny := max(y+1, fieldYear.lo); ny <= fieldYear.hi; ny++ {
		if c.years.has(ny - fieldYear.lo) {
			return ny
		}
	}
	return 0
}

func (c *cron) dayMatches(y int, m time.Month, d int) bool {
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	wd := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday()) + 1 // 1 = SUN
	if c.byDOW {
		switch {
		case c.dow.lastOf != 0:
			return wd == c.dow.lastOf && d+7 > last
		case c.dow.nthDay != 0:
			return wd == c.dow.nthDay && (d-1)/7+1 == c.dow.nthWeek
		default:
			return c.dow.days.has(wd - 1)
		}
	}
	switch {
	case c.dom.last:
		return d == last
	case c.dom.lastWeekday:
		return d == nearestWeekday(y, m, last, last)
	case c.dom.nearest != 0:
		return c.dom.nearest <= last && d == nearestWeekday(y, m, c.dom.nearest, last)
	default:
		return c.dom.days.has(d - 1)
	}
}

// nearestWeekday returns the Monday-Friday day nearest to day n of the
// month, never leaving the month (Quartz's and EventBridge's W).
func nearestWeekday(y int, m time.Month, n, last int) int {
	switch time.Date(y, m, n, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3 // Monday the 3rd
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2 // Friday
		}
		return n + 1
	}
	return n
}
