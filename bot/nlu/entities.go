package nlu

import (
	"strconv"
)

// Entity kinds, in the order that breaks a tie between equally long
// matches at one position.
const (
	entDate = iota
	entInstallments
	entAmount
	entOption
)

// found is what entity extraction saw in a message.
type found struct {
	date          dateSpec
	hasDate       bool
	amount        int64 // cents
	hasAmount     bool
	installments  int
	option        int
	hasOption     bool
	consumed      int // tokens covered by entities
	contentTokens int
}

// numMatch is a number read at some position: digits, number words or
// digits scaled by a multiplier word ("2 mil").
type numMatch struct {
	hundredths int64
	isInt      bool
	end        int
}

// maxUnits bounds the numbers read (a trillion): larger ones are no
// sensible amount, and bounding them keeps the arithmetic inside int64.
const maxUnits = 1_000_000_000_000

// readNum reads a number starting at toks[i].
func (l *lang) readNum(toks []token, i int) (numMatch, bool) {
	if i >= len(toks) {
		return numMatch{}, false
	}
	t := &toks[i]
	if t.kind == tkNum {
		m := numMatch{hundredths: t.num, isInt: !t.frac, end: i + 1}
		if i+1 < len(toks) && toks[i+1].kind == tkWord {
			if nw, ok := l.numbers[toks[i+1].text]; ok && nw.mult {
				if m.hundredths > maxUnits*100/nw.value {
					return numMatch{}, false // past any sensible amount, and past int64
				}
				m.hundredths *= nw.value
				m.isInt = m.hundredths%100 == 0
				m.end = i + 2
			}
		}
		return m, true
	}
	if t.kind != tkWord {
		return numMatch{}, false
	}
	if _, ok := l.numbers[t.text]; !ok {
		return numMatch{}, false
	}
	// Number words: "cento e cinquenta", "dois mil e quinhentos",
	// "one hundred and fifty". A multiplier of a thousand or more scales
	// everything before it; smaller ones (en "hundred") scale the group.
	var total, group int64
	j := i
	end := i
	for j < len(toks) {
		nw, ok := l.numbers[toks[j].text]
		if !ok || toks[j].kind != tkWord || total+group > maxUnits ||
			nw.mult && max(total+group, group, 1) > maxUnits/nw.value {
			break // not a number word, or past any sensible amount
		}
		switch {
		case nw.mult && nw.value >= 1000:
			if total+group == 0 {
				group = 1
			}
			total = (total + group) * nw.value
			group = 0
		case nw.mult:
			if group == 0 {
				group = 1
			}
			group *= nw.value
		default:
			group += nw.value
		}
		j++
		end = j
		// A joiner continues the number only when a number word follows.
		if j+1 < len(toks) && l.joiners[toks[j].text] {
			if _, ok := l.numbers[toks[j+1].text]; ok {
				j++
			}
		}
	}
	return numMatch{hundredths: (total + group) * 100, isInt: true, end: end}, true
}

// patMatch is a pattern matched at a position.
type patMatch struct {
	end            int
	num            numMatch
	weekday, month int
}

// numAt returns the number starting at toks[i], read by extract.
func numAt(nums []numMatch, i int) (numMatch, bool) {
	if i >= len(nums) || nums[i].end < 0 {
		return numMatch{}, false
	}
	return nums[i], true
}

func (l *lang) matchPattern(p *pattern, toks []token, nums []numMatch, i int, msg *cset, short bool) (patMatch, bool) {
	if !p.cond.empty() && !msg.meets(&p.cond) {
		return patMatch{}, false
	}
	if p.condShort && !short {
		return patMatch{}, false
	}
	var m patMatch
	j := i
	for _, e := range p.elems {
		if j >= len(toks) {
			return m, false
		}
		switch e.kind {
		case peWord:
			if toks[j].kind != tkWord || toks[j].text != e.word {
				return m, false
			}
			j++
		case peNum:
			n, ok := numAt(nums, j)
			if !ok {
				return m, false
			}
			m.num, j = n, n.end
		case peWeekday, peMonth:
			tab := l.weekdays
			if e.kind == peMonth {
				tab = l.months
			}
			v, end := matchSeq(tab, toks, j)
			if end == 0 {
				return m, false
			}
			if e.kind == peMonth {
				m.month = v
			} else {
				m.weekday = v
			}
			j = end
		}
	}
	m.end = j
	return m, true
}

func matchSeq(tab map[string][]seq, toks []token, i int) (int, int) {
	if toks[i].kind != tkWord {
		return 0, 0
	}
	for _, s := range tab[toks[i].text] {
		if i+len(s.words) > len(toks) {
			continue
		}
		ok := true
		for k := 1; k < len(s.words) && ok; k++ {
			ok = toks[i+k].text == s.words[k]
		}
		if ok {
			return s.value, i + len(s.words)
		}
	}
	return 0, 0
}

// extract scans the message once, taking at each position the longest
// entity match of any kind, and keeps the first of each kind. Numbers are
// read once per position up front because every pattern asks for them.
func (l *lang) extract(toks []token, nums []numMatch, msg *cset, short bool) found {
	var f found
	for i := range toks {
		if toks[i].kind != tkPunct {
			f.contentTokens++
		}
		n, ok := l.readNum(toks, i)
		if !ok {
			n.end = -1
		}
		nums[i] = n
	}
	for i := 0; i < len(toks); {
		bestEnd, bestKind := i, -1
		var bestDate dateSpec
		var bestVal int64
		if t := &toks[i]; t.kind == tkDate {
			d, m := t.d, t.m
			if !l.dmy {
				d, m = m, d
			}
			if d >= 1 && d <= 31 && m >= 1 && m <= 12 {
				bestEnd, bestKind = i+1, entDate
				bestDate = dateSpec{kind: "daymonth", d: d, m: m, y: t.y}
			}
		}
		try := func(list []pattern) {
			for k := range list {
				p := &list[k]
				pm, ok := l.matchPattern(p, toks, nums, i, msg, short)
				if !ok || pm.end <= bestEnd {
					continue
				}
				switch n := pm.num.hundredths / 100; p.kind {
				case entDate:
					if spec, ok := dateFromPattern(p, pm); ok {
						bestEnd, bestKind, bestDate = pm.end, entDate, spec
					}
				case entInstallments:
					if pm.num.isInt && n >= 1 && n <= 72 {
						bestEnd, bestKind, bestVal = pm.end, entInstallments, n
					}
				case entAmount:
					if pm.num.hundredths >= 1000 {
						bestEnd, bestKind, bestVal = pm.end, entAmount, pm.num.hundredths
					}
				case entOption:
					if pm.num.isInt && n >= 0 && n <= 20 {
						bestEnd, bestKind, bestVal = pm.end, entOption, n
					}
				}
			}
		}
		if toks[i].kind == tkWord {
			try(l.patByWord[toks[i].text])
			if _, ok := l.weekdays[toks[i].text]; ok {
				try(l.patByHolder[peWeekday])
			}
			if _, ok := l.months[toks[i].text]; ok {
				try(l.patByHolder[peMonth])
			}
		}
		if nums[i].end > 0 {
			try(l.patByHolder[peNum])
		}
		if end, cents, ok := l.nativeAmount(toks, nums, i); ok && end > bestEnd {
			bestEnd, bestKind, bestVal = end, entAmount, cents
		}
		if bestKind < 0 {
			i++
			continue
		}
		switch bestKind {
		case entDate:
			if !f.hasDate && bestDate.kind != "none" {
				f.date, f.hasDate = bestDate, true
			}
		case entInstallments:
			if f.installments == 0 {
				f.installments = int(bestVal)
			}
		case entAmount:
			if !f.hasAmount {
				f.amount, f.hasAmount = bestVal, true
			}
		case entOption:
			if !f.hasOption {
				f.option, f.hasOption = int(bestVal), true
			}
		}
		f.consumed += bestEnd - i
		i = bestEnd
	}
	return f
}

// nativeAmount reads money written with a currency sign or word, in
// cents, or a number with two decimals: "R$ 150", "150 reais",
// "1.234,56", "cento e cinquenta reais e vinte centavos".
func (l *lang) nativeAmount(toks []token, nums []numMatch, i int) (int, int64, bool) {
	if toks[i].kind == tkWord && l.curBefore[toks[i].text] {
		if n, ok := numAt(nums, i+1); ok {
			end := n.end
			if end < len(toks) && toks[end].kind == tkWord && l.curAfter[toks[end].text] {
				end++
			}
			end, c := l.centsTail(toks, nums, end)
			return end, n.hundredths + c, true
		}
		return 0, 0, false
	}
	n, ok := numAt(nums, i)
	if !ok {
		return 0, 0, false
	}
	if n.end < len(toks) && toks[n.end].kind == tkWord {
		w := toks[n.end].text
		if l.curAfter[w] {
			end, c := l.centsTail(toks, nums, n.end+1)
			return end, n.hundredths + c, true
		}
		if l.cents[w] && n.isInt {
			return n.end + 1, n.hundredths / 100, true
		}
	}
	if toks[i].kind == tkNum && toks[i].frac && len(toks[i].text)-lastSep(toks[i].text) == 3 {
		return n.end, n.hundredths, true
	}
	return 0, 0, false
}

// centsTail reads "e vinte centavos" after an amount.
func (l *lang) centsTail(toks []token, nums []numMatch, i int) (int, int64) {
	if i+2 < len(toks) && l.joiners[toks[i].text] {
		if n, ok := numAt(nums, i+1); ok && n.isInt && n.end < len(toks) && l.cents[toks[n.end].text] {
			return n.end + 1, n.hundredths / 100
		}
	}
	return i, 0
}

func lastSep(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' || s[i] == ',' {
			return i
		}
	}
	return -1
}

// bareOption reads a message that is only a menu number ("2", "3.") or a
// button id ("pay_pix", "menu:2"). It returns the option and whether the
// message was that alone.
func bareOption(text string, toks []token) (string, bool) {
	content := -1
	for i := range toks {
		if toks[i].kind == tkPunct {
			continue
		}
		if content >= 0 {
			content = -2
			break
		}
		content = i
	}
	if content >= 0 && toks[content].kind == tkNum && !toks[content].frac && toks[content].num < 10000 {
		return strconv.FormatInt(toks[content].num/100, 10), true
	}
	if isButtonID(text) {
		return trimSpace(text), true
	}
	return "", false
}

// isButtonID reports a single ASCII identifier with a separator such as
// "pay_now" or "opt:2": the shape interactive button replies carry.
func isButtonID(s string) bool {
	s = trimSpace(s)
	if len(s) < 3 || len(s) > 64 {
		return false
	}
	sep, letter := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9':
		case c == '_' || c == ':' || c == '-' || c == '.':
			if i == 0 || i == len(s)-1 {
				return false
			}
			sep = sep || c == '_' || c == ':'
		default:
			return false
		}
	}
	return sep && letter
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t' || s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
