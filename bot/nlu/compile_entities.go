package nlu

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/quitabot/quita/locales"
)

// compileEntities builds number words, calendar names, currency words and
// the entity patterns, and records their words as known so the typo
// matcher never bends them into lexicon words.
func (l *lang) compileEntities(d *locales.NLUData) error {
	for _, n := range d.Numbers {
		for _, w := range l.norm(n.Word) {
			l.numbers[w] = numWord{value: n.Value, mult: n.Multiplier}
			l.known[w] = struct{}{}
		}
	}
	sets := []struct {
		src []locales.ValueWord
		dst map[string]bool
	}{{d.Joiners, l.joiners}, {d.CurrencyBefore, l.curBefore}, {d.CurrencyAfter, l.curAfter}, {d.Cents, l.cents}}
	for _, s := range sets {
		for _, w := range s.src {
			for _, f := range l.norm(w.Word) {
				s.dst[f] = true
				l.known[f] = struct{}{}
			}
		}
	}
	for _, w := range d.Common {
		for _, f := range l.norm(w.Word) {
			l.known[f] = struct{}{}
		}
	}
	for _, named := range []struct {
		src []locales.ValueWord
		dst map[string][]seq
	}{{d.Weekdays, l.weekdays}, {d.Months, l.months}} {
		for _, w := range named.src {
			words := l.norm(w.Word)
			if len(words) == 0 {
				continue
			}
			named.dst[words[0]] = append(named.dst[words[0]], seq{words: words, value: w.Value})
			for _, f := range words {
				l.known[f] = struct{}{}
			}
		}
		for k, list := range named.dst {
			sort.SliceStable(list, func(a, b int) bool { return len(list[a].words) > len(list[b].words) })
			named.dst[k] = list
		}
	}
	l.patByWord = map[string][]pattern{}
	for kind, src := range [...][]locales.Pattern{entDate: d.Dates, entInstallments: d.Installments, entAmount: d.Amounts, entOption: d.Options} {
		list, err := l.compilePatterns(d.Locale, src, kind)
		if err != nil {
			return err
		}
		for _, p := range list {
			if e := p.elems[0]; e.kind == peWord {
				l.patByWord[e.word] = append(l.patByWord[e.word], p)
			} else {
				l.patByHolder[e.kind] = append(l.patByHolder[e.kind], p)
			}
		}
	}
	return nil
}

func (l *lang) compilePatterns(locale string, src []locales.Pattern, kind int) ([]pattern, error) {
	var out []pattern
	for _, p := range src {
		cp := pattern{kind: kind}
		for _, w := range p.Words {
			switch w {
			case "NUM":
				cp.elems = append(cp.elems, pelem{kind: peNum})
			case "WEEKDAY":
				cp.elems = append(cp.elems, pelem{kind: peWeekday})
			case "MONTH":
				cp.elems = append(cp.elems, pelem{kind: peMonth})
			default:
				for _, f := range l.norm(w) {
					cp.elems = append(cp.elems, pelem{kind: peWord, word: f})
					l.known[f] = struct{}{}
				}
			}
		}
		if len(cp.elems) == 0 {
			return nil, fmt.Errorf("nlu: %s:%d: empty pattern", locale, p.Line)
		}
		val := p.Value
		if i := strings.Index(val, " if "); i >= 0 {
			cond := strings.TrimSpace(val[i+4:])
			val = strings.TrimSpace(val[:i])
			if cond == "short" {
				cp.condShort = true
			} else {
				// "if A|B": the message must have one of the concepts.
				for _, name := range strings.Split(cond, "|") {
					c, ok := l.conceptID[name]
					if !ok {
						return nil, fmt.Errorf("nlu: %s:%d: unknown condition %q", locale, p.Line, name)
					}
					cp.cond.add(c)
				}
			}
		}
		cp.value = val
		if kind == entDate {
			if err := parseDateValue(&cp); err != nil {
				return nil, fmt.Errorf("nlu: %s:%d: %v", locale, p.Line, err)
			}
		} else if val != "NUM" {
			return nil, fmt.Errorf("nlu: %s:%d: value must be NUM", locale, p.Line)
		}
		out = append(out, cp)
	}
	return out, nil
}

// parseDateValue validates a date value code and pulls out its constant.
func parseDateValue(p *pattern) error {
	v := p.value
	switch {
	case v == "day" || v == "daymonth" || v == "weekday" || v == "nextweek" || v == "weekend" ||
		v == "monthend" || v == "nextmonth" || v == "nextmonthend" || v == "midmonth" || v == "none" ||
		v == "+NUMd" || v == "+NUMw":
		return nil
	case strings.HasPrefix(v, "day:") || strings.HasPrefix(v, "daymonth:"):
		n, err := strconv.Atoi(v[strings.Index(v, ":")+1:])
		if err != nil || n < 1 || n > 31 {
			return fmt.Errorf("bad day in %q", v)
		}
		p.n, p.value = n, v[:strings.Index(v, ":")]
		return nil
	case (strings.HasPrefix(v, "+") || strings.HasPrefix(v, "-")) && strings.HasSuffix(v, "d"):
		n, err := strconv.Atoi(v[:len(v)-1])
		if err != nil {
			return fmt.Errorf("bad offset %q", v)
		}
		p.n, p.value = n, "offset"
		return nil
	}
	return fmt.Errorf("unknown date value %q", v)
}
