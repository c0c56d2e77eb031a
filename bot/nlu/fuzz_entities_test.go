package nlu

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

// FuzzEntities checks entity extraction on arbitrary text: it never
// panics, Classify reports what extraction found, dates are real calendar
// days that land on the side of today the text points to, amounts are not
// negative, installment counts stay in 1..72, and a classification does
// not depend on the one before it (the scratch buffers are pooled).
func FuzzEntities(f *testing.F) {
	for _, s := range []string{
		"pago dia 10", "pago dia 31", "paguei dia 20", "pago sexta", "paguei sexta", "pago 10/12", "pago 29/02",
		"pago 31/04", "paguei 05/01/27", "10/12/9999", "pago 0/0", "daqui a 400 semanas eu pago", "ontem eu pago",
		"pago no fim do mês", "pago dia 5 de janeiro", "R$ 1.234,56", "paguei R$ 150,00", "R$ 2 milhões",
		"posso dar 100 de entrada", "quero parcelar em 3x", "em 72x", "em 73 vezes", "três parcelas de cinquenta reais",
		"opção 2", "9999999999999 reais", "dois mil e quinhentos reais e vinte centavos", "1.2.3,4,5",
	} {
		f.Add(s, "pt-BR")
	}
	for _, s := range []string{"I'll pay on the 10th", "I paid $1,234.56 yesterday", "split it into 4 payments", "1 million dollars"} {
		f.Add(s, "en")
	}
	for _, s := range []string{"pago el viernes", "ya pagué los 150 pesos ayer", "en 3 cuotas"} {
		f.Add(s, "es")
	}
	c := newTestClassifier(f)
	now := refTime(f)
	f.Fuzz(func(t *testing.T, text, locale string) {
		got := c.Classify(text, locale, now)
		e := got.Entities
		if e.AmountCents < 0 {
			t.Fatalf("%q: negative amount %d", text, e.AmountCents)
		}
		if e.Installments < 0 || e.Installments > 72 {
			t.Fatalf("%q: %d installments", text, e.Installments)
		}
		if e.Date != "" {
			if d, err := time.Parse(time.DateOnly, e.Date); err != nil || d.Format(time.DateOnly) != e.Date {
				t.Fatalf("%q: date %q is not a calendar day", text, e.Date)
			}
		}
		// Another message in between must not change the answer.
		_ = c.Classify(text+" "+text, "es", now.Add(-time.Hour))
		if again := c.Classify(text, locale, now); again != got {
			t.Fatalf("%q: %+v, then %+v", text, got, again)
		}

		fnd, ok := extractLikeClassify(c, text, locale)
		if !ok {
			return // a bare option or a placeholder: no entity extraction
		}
		wantAmount := int64(0)
		if fnd.hasAmount {
			wantAmount = fnd.amount
		}
		if e.AmountCents != wantAmount || e.Installments != fnd.installments {
			t.Fatalf("%q: Classify %+v, extraction %+v", text, e, fnd)
		}
		if !fnd.hasDate {
			if e.Date != "" {
				t.Fatalf("%q: date %s without a date entity", text, e.Date)
			}
			return
		}
		fwd, back := resolve(fnd.date, now, false), resolve(fnd.date, now, true)
		if e.Date != fwd && e.Date != back {
			t.Fatalf("%q: date %q, resolved %q forwards and %q backwards", text, e.Date, fwd, back)
		}
		checkDirection(t, text, fnd.date, now, fwd, back)
	})
}

// checkDirection states where a date spec may land: forwards (a promise)
// never before today, backwards (a payment made) never after it, and
// never more than eight years away ("daqui a 400 semanas" is the
// farthest), unless the text itself fixes the day: an explicit year, or
// an offset ("ontem", "daqui a 3 dias"), which is today plus its days
// whatever the direction.
func checkDirection(t *testing.T, text string, s dateSpec, now time.Time, fwd, back string) {
	t.Helper()
	y, m, d := now.Date()
	day := func(years, days int) string {
		return time.Date(y+years, m, d+days, 12, 0, 0, 0, time.UTC).Format(time.DateOnly)
	}
	today := day(0, 0)
	if s.kind == "offset" {
		if want := day(0, s.n); fwd != want || back != want {
			t.Fatalf("%q: offset %d resolves to %q / %q, want %s", text, s.n, fwd, back, want)
		}
		return
	}
	if s.kind == "daymonth" && s.y > 0 {
		return // "10/12/2020": the day the text names, wherever it is
	}
	for _, got := range []string{fwd, back} {
		if got != "" && (got < day(-8, 0) || got > day(8, 0)) {
			t.Fatalf("%q: %+v resolves to %s, too far from %s", text, s, got, today)
		}
	}
	if fwd != "" && fwd < today {
		t.Fatalf("%q: a promise (%+v) resolves to %s, before today %s", text, s, fwd, today)
	}
	switch s.kind {
	case "day", "daymonth", "weekday", "midmonth":
		if back != "" && back > today {
			t.Fatalf("%q: a payment made (%+v) resolves to %s, after today %s", text, s, back, today)
		}
	}
}

// extractLikeClassify runs the steps Classify takes up to entity
// extraction and returns what extraction found; ok is false when Classify
// answers before extracting (a bare option, a media placeholder).
func extractLikeClassify(c *Classifier, text, locale string) (found, bool) {
	l := c.pick(locale)
	_, raw := tokenize(text, nil, nil)
	toks := l.rewrite(raw, nil)
	if _, bare := bareOption(text, toks); bare || isPlaceholder(text) {
		return found{}, false
	}
	us := l.units(toks, nil)
	l.negate(us)
	var all cset
	words := 0
	for k := range us {
		if us[k].punct {
			continue
		}
		all.union(&us[k].cs)
		if us[k].word {
			words += us[k].end - us[k].start
		}
	}
	return l.extract(toks, make([]numMatch, len(toks)), &all, words <= 3), true
}

// FuzzEntityValues writes entities the way debtors do, from fuzzed
// numbers, and checks that Classify reads back exactly those values:
// "pago dia D" is the next day D not in the past, "pago D/M" the next
// such date, "R$ 1.234,56" and "$1,234.56" the amount in cents, and
// "parcelar em Nx" N installments when N is 1 to 72, and "R$ 2 milhões"
// its value, or no amount when the value does not fit in an int64.
func FuzzEntityValues(f *testing.F) {
	f.Add(uint8(0), int64(10), int64(12))
	f.Add(uint8(1), int64(29), int64(2))
	f.Add(uint8(1), int64(31), int64(4))
	f.Add(uint8(2), int64(123456), int64(0))
	f.Add(uint8(3), int64(99999999999999), int64(0))
	f.Add(uint8(4), int64(72), int64(0))
	f.Add(uint8(4), int64(73), int64(0))
	f.Add(uint8(5), int64(2), int64(1))
	f.Add(uint8(5), int64(150), int64(0))
	c := newTestClassifier(f)
	now := refTime(f)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, form uint8, a, b int64) {
		var text, locale, want string
		var got func(e bot.Entities) string
		switch form % 6 {
		case 0: // day of the month
			d := mod(a, 40)
			text, locale, want = fmt.Sprintf("pago dia %d", d), "pt-BR", nextDate(today, int(d), -1)
			got = func(e bot.Entities) string { return e.Date }
		case 1: // day/month
			d, m := mod(a, 40), mod(b, 15)
			text, locale, want = fmt.Sprintf("pago %d/%d", d, m), "pt-BR", nextDate(today, int(d), int(m))
			got = func(e bot.Entities) string { return e.Date }
		case 2: // Brazilian amount
			cents := mod(a, 1e14)
			text, locale, want = "paguei R$ "+brl(cents), "pt-BR", strconv.FormatInt(cents, 10)
			got = func(e bot.Entities) string { return strconv.FormatInt(e.AmountCents, 10) }
		case 3: // US amount
			cents := mod(a, 1e14)
			text, locale = "I paid $"+strings.NewReplacer(".", ",", ",", ".").Replace(brl(cents)), "en"
			want = strconv.FormatInt(cents, 10)
			got = func(e bot.Entities) string { return strconv.FormatInt(e.AmountCents, 10) }
		case 4: // installments
			n := mod(a, 200)
			text, locale, want = fmt.Sprintf("quero parcelar em %dx", n), "pt-BR", "0"
			if n >= 1 && n <= 72 {
				want = strconv.FormatInt(n, 10)
			}
			got = func(e bot.Entities) string { return strconv.Itoa(e.Installments) }
		case 5: // amount with a multiplier word: exact up to a trillion (no sensible amount is larger), else none
			n, mult, word := mod(a, 1e12), int64(1000), "mil"
			if b%2 != 0 {
				mult, word = 1e6, "milhões"
			}
			text, locale, want = fmt.Sprintf("paguei R$ %d %s", n, word), "pt-BR", "0"
			if n <= 1e12/mult {
				want = strconv.FormatInt(n*mult*100, 10)
			}
			got = func(e bot.Entities) string { return strconv.FormatInt(e.AmountCents, 10) }
		}
		e := c.Classify(text, locale, now).Entities
		if g := got(e); g != want {
			t.Fatalf("%s %q: got %q, want %q (%+v)", locale, text, g, want, e)
		}
	})
}

// mod maps any int64 onto 0..n-1.
func mod(a, n int64) int64 {
	if a %= n; a < 0 {
		a += n
	}
	return a
}

// brl writes cents as "1.234,56".
func brl(cents int64) string {
	whole := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s,%02d", b.String(), cents%100)
}

// nextDate is the first day d of month m (of any month when m is -1)
// from today on, looking a year ahead for a day and five for a day and
// month; "" when there is none or the numbers are no date.
func nextDate(today time.Time, d, m int) string {
	if d < 1 || d > 31 || m == 0 || m > 12 {
		return ""
	}
	for i := range 5 * 366 {
		t := today.AddDate(0, 0, i)
		if m < 0 && i > 400 {
			break
		}
		if t.Day() == d && (m < 0 || int(t.Month()) == m) {
			return t.Format(time.DateOnly)
		}
	}
	return ""
}
