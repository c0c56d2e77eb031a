package policy

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// span is a contact window within a day, in minutes since midnight; to is
// exclusive, so "09:00-18:00" allows 17:59 and not 18:00.
type span struct{ from, to int }

// parseHours reads a day's windows: "off" (or empty) for none, else
// "HH:MM-HH:MM" ranges separated by commas, in increasing order, not
// overlapping.
func parseHours(s string) ([]span, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "off" || s == "closed" {
		return nil, nil
	}
	var out []span
	for _, part := range strings.Split(s, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(part), "-")
		if !ok {
			return nil, fmt.Errorf("%q is not a range like 09:00-18:00 (or \"off\")", strings.TrimSpace(part))
		}
		from, err1 := parseClock(a)
		to, err2 := parseClock(b)
		if err1 != nil || err2 != nil || from >= 1440 {
			return nil, fmt.Errorf("%q is not a range like 09:00-18:00 (or \"off\")", strings.TrimSpace(part))
		}
		if from >= to {
			return nil, fmt.Errorf("%q ends before it starts", strings.TrimSpace(part))
		}
		if len(out) > 0 && from < out[len(out)-1].to {
			return nil, fmt.Errorf("%q overlaps or precedes the range before it", strings.TrimSpace(part))
		}
		out = append(out, span{from, to})
	}
	return out, nil
}

// parseClock reads "HH:MM" (00:00–24:00) as minutes since midnight.
func parseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || len(mm) != 2 || len(hh) < 1 || len(hh) > 2 || err1 != nil || err2 != nil ||
		h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return h*60 + m, nil
}

// hours returns the configured text for a weekday.
func (w ContactWindows) hours(d time.Weekday) string {
	return [...]string{w.Sunday, w.Monday, w.Tuesday, w.Wednesday, w.Thursday, w.Friday, w.Saturday}[d]
}

// spans returns the windows of day d, none on Sundays and days off. A
// malformed entry yields none: Validate rejects it, and failing closed never
// sends a message at a forbidden time.
func (p Policy) spans(d Date) []span {
	wd := d.Weekday()
	if wd == time.Sunday || p.isHoliday(d) {
		return nil
	}
	s, err := parseHours(p.ContactWindows.hours(wd))
	if err != nil {
		return nil
	}
	return s
}

// Allowed reports whether a proactive message may be sent at t. Pass t in the
// business time zone (QUITA_TIMEZONE): the windows are local wall-clock hours.
func (p Policy) Allowed(t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	for _, s := range p.spans(DateOf(t)) {
		if s.from <= m && m < s.to {
			return true
		}
	}
	return false
}

// NextAllowed returns t when Allowed(t), else the start of the next contact
// window, skipping days off, Sundays and holidays, in t's location (e.g.
// Friday 18:30 → Monday 09:00). A reminder that falls outside the windows is
// moved there, never dropped. It returns the zero Time only when no window
// opens within a year, which a valid policy rules out.
func (p Policy) NextAllowed(t time.Time) time.Time {
	if p.Allowed(t) {
		return t
	}
	day := DateOf(t)
	for i := 0; i <= 400; i++ {
		d := day.AddDays(i)
		for _, s := range p.spans(d) {
			start := time.Date(d.Year, d.Month, d.Day, s.from/60, s.from%60, 0, 0, t.Location())
			if start.After(t) {
				return start
			}
		}
	}
	return time.Time{}
}

// ContactDay reports whether d has any contact window: not a Sunday, not a
// holiday under contact_windows.holidays, and its weekday is not "off".
// The reminder planner moves a step due before the due date to the latest
// contact day on or before its day, so "vence em 25/11" still goes out
// while it is true instead of waiting for a day when it no longer is.
func (p Policy) ContactDay(d Date) bool { return len(p.spans(d)) > 0 }
