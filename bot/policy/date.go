package policy

import (
	"fmt"
	"time"
)

// Date is a civil date — a day on the calendar with no time of day and no
// time zone. Due dates, holidays and promise dates are dates, not instants:
// "due 2026-11-25" means that whole day wherever the business is, and
// counting days between two dates must not be disturbed by time zones or
// clock changes. The zero Date is not a valid day; see IsZero.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateLayout is the text form of a Date (ISO 8601), used in YAML, JSON and logs.
const DateLayout = "2006-01-02"

// NewDate returns the date y-m-d, normalising overflow the way time.Date does
// (2026-02-30 becomes 2026-03-02).
func NewDate(y int, m time.Month, d int) Date {
	return DateOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// DateOf returns the calendar date of t in t's own location. Convert t to the
// business time zone first: 01:00 in São Paulo is still the previous day in
// some other zones.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("policy: %q is not a date like 2026-11-25", s)
	}
	return DateOf(t), nil
}

// String formats the date as "2006-01-02"; the zero Date formats as "".
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	if d.Year < 0 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 31 {
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
	}
	// By hand: a reminder pass formats a few dates per invoice, and
	// fmt.Sprintf was 3 % of its CPU.
	b := [10]byte{byte('0' + d.Year/1000), byte('0' + d.Year/100%10), byte('0' + d.Year/10%10), byte('0' + d.Year%10), '-',
		byte('0' + int(d.Month)/10), byte('0' + int(d.Month)%10), '-', byte('0' + d.Day/10), byte('0' + d.Day%10)}
	return string(b[:])
}

// MarshalText implements encoding.TextMarshaler so dates travel as
// "2006-01-02" in JSON and YAML.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; empty text is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// IsZero reports whether d is the zero Date (no date).
func (d Date) IsZero() bool { return d == Date{} }

// In returns midnight at the start of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// utc is midnight UTC, where every day is exactly 24 h long, which makes
// day arithmetic exact.
func (d Date) utc() time.Time { return d.In(time.UTC) }

// AddDays returns the date n days after d (before it when n < 0).
func (d Date) AddDays(n int) Date { return DateOf(d.utc().AddDate(0, 0, n)) }

// AddMonths returns the same day n months later, clamped to the end of a
// shorter month (Jan 31 + 1 month = Feb 28/29), which is how monthly
// installments and boletos are scheduled rather than Go's overflow into March.
func (d Date) AddMonths(n int) Date {
	first := time.Date(d.Year, d.Month, 1, 0, 0, 0, 0, time.UTC).AddDate(0, n, 0)
	last := first.AddDate(0, 1, -1).Day()
	day := d.Day
	if day > last {
		day = last
	}
	return Date{first.Year(), first.Month(), day}
}

// Before reports whether d is earlier than o.
func (d Date) Before(o Date) bool { return d.utc().Before(o.utc()) }

// After reports whether d is later than o.
func (d Date) After(o Date) bool { return d.utc().After(o.utc()) }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// DaysUntil returns the number of days from d to o: positive when o is later,
// negative when earlier. due.DaysUntil(today) is "days late" (D+n).
func (d Date) DaysUntil(o Date) int {
	return int(o.utc().Sub(d.utc()) / (24 * time.Hour))
}
