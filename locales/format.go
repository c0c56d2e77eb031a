package locales

import (
	"strconv"
	"strings"
	"time"
)

// Money formats cents in Brazilian reais the way each locale reads them:
// "R$ 1.234,56" in pt-BR and es, "R$1,234.56" in en.
func Money(locale string, cents int64) string {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	units := strconv.FormatInt(cents/100, 10)
	frac := cents % 100
	thousands, decimal, prefix := ".", ",", "R$ "
	if Resolve(locale) == "en" {
		thousands, decimal, prefix = ",", ".", "R$"
	}
	var b strings.Builder
	for i, r := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteString(thousands)
		}
		b.WriteRune(r)
	}
	out := prefix + b.String() + decimal + string(rune('0'+frac/10)) + string(rune('0'+frac%10))
	if neg {
		return "-" + out
	}
	return out
}

// ShortDate formats an ISO date (YYYY-MM-DD) as day and month: "25/11" in
// pt-BR and es, "11/25" in en. An unparsable date is returned unchanged.
func ShortDate(locale, iso string) string {
	t, err := time.Parse("2006-01-02", iso)
	if err != nil {
		return iso
	}
	if Resolve(locale) == "en" {
		return t.Format("01/02")
	}
	return t.Format("02/01")
}

// FullDate formats an ISO date with the year: "25/11/2026" or "11/25/2026".
func FullDate(locale, iso string) string {
	t, err := time.Parse("2006-01-02", iso)
	if err != nil {
		return iso
	}
	if Resolve(locale) == "en" {
		return t.Format("01/02/2006")
	}
	return t.Format("02/01/2006")
}
