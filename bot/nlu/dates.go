package nlu

import "time"

// dateSpec is a date as said, before it is pinned to a calendar day: the
// same "dia 20" is next 20th for a promise and last 20th for a payment
// already made.
type dateSpec struct {
	kind    string // a date value code (see parseDateValue) or "daymonth"
	n       int
	d, m, y int
	weekday int // 1 = Monday … 7 = Sunday
}

// dateFromPattern turns a matched date pattern into a spec, rejecting
// impossible numbers ("dia 45").
func dateFromPattern(p *pattern, pm patMatch) (dateSpec, bool) {
	s := dateSpec{kind: p.value, n: p.n, weekday: pm.weekday, m: pm.month}
	num := int(pm.num.hundredths / 100)
	switch p.value {
	case "day", "daymonth":
		s.d = p.n
		if s.d == 0 {
			if !pm.num.isInt {
				return s, false
			}
			s.d = num
		}
		return s, s.d >= 1 && s.d <= 31
	case "+NUMd", "+NUMw":
		if !pm.num.isInt || num < 0 || num > 400 {
			return s, false
		}
		s.kind, s.n = "offset", num
		if p.value == "+NUMw" {
			s.n *= 7
		}
	}
	return s, true
}

// resolve pins s to an ISO date in now's location. Choices, documented in
// the package doc: a day of the month is the next one not in the past
// (the last one not in the future when back is set, for payments already
// made); a weekday is the next one after today; "semana que vem" is next
// Monday; "mês que vem" is the 1st of next month; "fim do mês" is the last
// day of this month.
func resolve(s dateSpec, now time.Time, back bool) string {
	y, mo, d := now.Date()
	today := time.Date(y, mo, d, 12, 0, 0, 0, now.Location())
	wd := int(today.Weekday())
	if wd == 0 {
		wd = 7
	}
	var t time.Time
	switch s.kind {
	case "offset":
		t = today.AddDate(0, 0, s.n)
	case "day":
		t = nearestDay(today, s.d, back)
	case "daymonth":
		if s.y > 0 {
			t = time.Date(s.y, time.Month(s.m), s.d, 12, 0, 0, 0, today.Location())
			if t.Day() != s.d {
				return ""
			}
			break
		}
		t = nearestDayMonth(today, s.d, s.m, back)
	case "weekday":
		delta := (s.weekday - wd + 7) % 7
		if back {
			delta = -((wd - s.weekday + 7) % 7)
			if delta == 0 {
				delta = -7
			}
		} else if delta == 0 {
			delta = 7
		}
		t = today.AddDate(0, 0, delta)
	case "nextweek":
		t = today.AddDate(0, 0, 8-wd)
	case "weekend":
		delta := (6 - wd + 7) % 7
		if wd == 7 {
			delta = 0
		}
		t = today.AddDate(0, 0, delta)
	case "monthend":
		t = time.Date(y, mo+1, 0, 12, 0, 0, 0, today.Location())
	case "nextmonth":
		t = time.Date(y, mo+1, 1, 12, 0, 0, 0, today.Location())
	case "nextmonthend":
		t = time.Date(y, mo+2, 0, 12, 0, 0, 0, today.Location())
	case "midmonth":
		t = nearestDay(today, 15, back)
	default:
		return ""
	}
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

// nearestDay finds day-of-month d from today forwards (or backwards),
// skipping months too short to have it.
func nearestDay(today time.Time, d int, back bool) time.Time {
	y, mo, _ := today.Date()
	for k := 0; k < 13; k++ {
		step := k
		if back {
			step = -k
		}
		t := time.Date(y, mo+time.Month(step), d, 12, 0, 0, 0, today.Location())
		if t.Day() != d {
			continue
		}
		if (!back && !t.Before(today)) || (back && !t.After(today)) {
			return t
		}
	}
	return time.Time{}
}

func nearestDayMonth(today time.Time, d, m int, back bool) time.Time {
	y := today.Year()
	for k := 0; k < 5; k++ {
		yy := y + k
		if back {
			yy = y - k
		}
		t := time.Date(yy, time.Month(m), d, 12, 0, 0, 0, today.Location())
		if t.Day() != d {
			continue // 29/02 outside leap years
		}
		if (!back && !t.Before(today)) || (back && !t.After(today)) {
			return t
		}
	}
	return time.Time{}
}
