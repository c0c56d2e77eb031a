package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// holiday is one national holiday of a given year.
type holiday struct {
	date     Date
	name     string
	carnival bool // Carnival Monday/Tuesday, switchable by contact_windows.holidays.carnival
}

// Easter returns Easter Sunday of year in the Gregorian calendar, computed with
// the Anonymous Gregorian (Meeus/Jones/Butcher) algorithm. Carnival, Good
// Friday and Corpus Christi move with it.
func Easter(year int) Date {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	n := h + l - 7*m + 114
	return Date{year, time.Month(n / 31), n%31 + 1}
}

// nationalHolidays lists the year's national holidays in date order.
func nationalHolidays(year int) []holiday {
	// Memoised: late charges and contact windows ask for every reminder,
	// and computing Easter and sorting was 6–10 % of a reminder pass.
	// Callers never modify the slice.
	if hs, ok := holidayCache.Load(year); ok {
		return hs.([]holiday)
	}
	hs := computeNationalHolidays(year)
	holidayCache.Store(year, hs)
	return hs
}

var holidayCache sync.Map // year → []holiday

func computeNationalHolidays(year int) []holiday {
	easter := Easter(year)
	hs := []holiday{
		{Date{year, time.January, 1}, "Confraternização Universal", false},
		{easter.AddDays(-48), "Carnaval (segunda-feira)", true},
		{easter.AddDays(-47), "Carnaval (terça-feira)", true},
		{easter.AddDays(-2), "Sexta-feira Santa", false},
		{Date{year, time.April, 21}, "Tiradentes", false},
		{Date{year, time.May, 1}, "Dia do Trabalho", false},
		{easter.AddDays(60), "Corpus Christi", false},
		{Date{year, time.September, 7}, "Independência do Brasil", false},
		{Date{year, time.October, 12}, "Nossa Senhora Aparecida", false},
		{Date{year, time.November, 2}, "Finados", false},
		{Date{year, time.November, 15}, "Proclamação da República", false},
		{Date{year, time.December, 25}, "Natal", false},
	}
	if year >= 2024 { // Lei 14.759/2023 made it national from 2024 on.
		hs = append(hs, holiday{Date{year, time.November, 20}, "Dia Nacional de Zumbi e da Consciência Negra", false})
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].date.Before(hs[j].date) })
	return hs
}

// Holidays returns the Brazilian national holidays of year in date order:
// the fixed ones (Jan 1, Apr 21, May 1, Sep 7, Oct 12, Nov 2, Nov 15, Nov 20
// from 2024, Dec 25), Good Friday and Corpus Christi, and Carnival Monday and
// Tuesday, which are "pontos facultativos" but close banks and most commerce.
func Holidays(year int) []Date {
	hs := nationalHolidays(year)
	out := make([]Date, len(hs))
	for i, h := range hs {
		out[i] = h.date
	}
	return out
}

// HolidayName returns the Portuguese name of the national holiday on d, or ""
// when d is not one — for console and log lines such as "skipped: Tiradentes".
func HolidayName(d Date) string {
	for _, h := range nationalHolidays(d.Year) {
		if h.date == d {
			return h.name
		}
	}
	return ""
}

// IsHoliday reports whether the day of t (in t's location, which should be the
// business time zone) is a day off for proactive contact under the policy:
// a national holiday when holidays.national is on (Carnival only when
// holidays.carnival is also on) or one of holidays.extra.
func (p Policy) IsHoliday(t time.Time) bool { return p.isHoliday(DateOf(t)) }

func (p Policy) isHoliday(d Date) bool {
	h := p.ContactWindows.Holidays
	if h.National {
		for _, n := range nationalHolidays(d.Year) {
			if n.date == d && (h.Carnival || !n.carnival) {
				return true
			}
		}
	}
	return p.isExtraHoliday(d)
}

func (p Policy) isExtraHoliday(d Date) bool {
	for _, s := range p.ContactWindows.Holidays.Extra {
		year, month, day, err := parseExtraHoliday(s)
		if err == nil && month == d.Month && day == d.Day && (year == 0 || year == d.Year) {
			return true
		}
	}
	return false
}

// parseExtraHoliday reads "YYYY-MM-DD" (year > 0) or "MM-DD" (year 0: every year).
func parseExtraHoliday(s string) (year int, month time.Month, day int, err error) {
	s = strings.TrimSpace(s)
	if d, perr := ParseDate(s); perr == nil {
		return d.Year, d.Month, d.Day, nil
	}
	mm, dd, ok := strings.Cut(s, "-")
	m, err1 := strconv.Atoi(mm)
	dn, err2 := strconv.Atoi(dd)
	// 2000 is a leap year, so "02-29" is accepted as a recurring date.
	if !ok || len(mm) != 2 || len(dd) != 2 || err1 != nil || err2 != nil ||
		m < 1 || m > 12 || dn < 1 || dn > time.Date(2000, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return 0, 0, 0, fmt.Errorf("%q is not a date like 2026-12-24 or a yearly date like 12-24", s)
	}
	return 0, time.Month(m), dn, nil
}

// IsBusinessDay reports whether d is a banking business day: Monday to
// Friday, not a national holiday (Carnival included — banks close whatever
// contact_windows says) and not one of holidays.extra. Business days drive
// payment deadlines: a boleto due on a non-business day may be paid on the
// next one without charges, and receipt confirmation waits in business days.
func (p Policy) IsBusinessDay(d Date) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	for _, h := range nationalHolidays(d.Year) {
		if h.date == d {
			return false
		}
	}
	return !p.isExtraHoliday(d)
}

// NextBusinessDay returns d when it is a business day, else the first
// business day after it.
func (p Policy) NextBusinessDay(d Date) Date {
	for !p.IsBusinessDay(d) {
		d = d.AddDays(1)
	}
	return d
}

// AddBusinessDays returns the n-th business day after d (n ≥ 0; n = 0
// returns d unchanged).
func (p Policy) AddBusinessDays(d Date, n int) Date {
	for n > 0 {
		d = d.AddDays(1)
		if p.IsBusinessDay(d) {
			n--
		}
	}
	return d
}
