package nlu

// unit is one lexicon match: a single word or a phrase of several.
type unit struct {
	start, end int // token span [start, end)
	cs         cset
	neg        bool // inside a negation's reach
	punct      bool
	negCue     bool // starts a negation
	word       bool // a word token (not number, emoji or punctuation)
}

// negationReach is how many words after a negation cue it covers, SKIP
// words not counted: "não [quero] [parcelar]", "não [recebi] o [boleto]".
// Three covers the verb, its object and one qualifier without reaching a
// second clause that lacks punctuation.
const negationReach = 3

// rewrite applies the locale's replacement table to word tokens, and
// gives a word the data lacks its plain ending when that makes it a word
// the data knows ("pagu" → "pago"), so phrases match it too ("tá pagu").
func (l *lang) rewrite(in []token, out []token) []token {
	for _, t := range in {
		if t.kind == tkWord {
			if to, ok := l.replace[t.text]; ok {
				for _, w := range to {
					out = append(out, token{text: w, kind: tkWord})
				}
				continue
			}
			if w, ok := l.plainEnding(t.text); ok {
				t.text = w
			}
		}
		out = append(out, t)
	}
	return out
}

// plainEnding rewrites the ending of an unknown word into a known word.
func (l *lang) plainEnding(w string) (string, bool) {
	if len(w) < 4 || len(l.suffixes) == 0 {
		return "", false
	}
	if _, ok := l.known[w]; ok {
		return "", false
	}
	for _, sf := range l.suffixes {
		if len(w) > len(sf.from)+2 && w[len(w)-len(sf.from):] == sf.from {
			stem := w[:len(w)-len(sf.from)] + sf.to
			if _, ok := l.known[stem]; ok {
				return stem, true
			}
		}
	}
	return "", false
}

// units groups tokens into lexicon matches, longest phrase first.
func (l *lang) units(toks []token, out []unit) []unit {
	for i := 0; i < len(toks); {
		t := &toks[i]
		if t.kind == tkPunct {
			out = append(out, unit{start: i, end: i + 1, punct: t.punct != '%'})
			i++
			continue
		}
		if end, p := l.matchPhrase(toks, i); p != nil {
			u := unit{start: i, end: end, cs: p.cs, word: true}
			u.negCue = !p.noNeg && u.cs.has(l.neg)
			out = append(out, u)
			i = end
			continue
		}
		u := unit{start: i, end: i + 1, word: t.kind == tkWord}
		if t.kind != tkDate {
			u.cs = l.lookup(t.text)
		}
		u.negCue = u.cs.has(l.neg)
		out = append(out, u)
		i++
	}
	return out
}

func (l *lang) matchPhrase(toks []token, i int) (int, *phrase) {
	list := l.phrases[toks[i].text]
	for k := range list {
		p := &list[k]
		if i+len(p.words) > len(toks) {
			continue
		}
		ok := true
		for j := 1; j < len(p.words) && ok; j++ {
			t := &toks[i+j]
			w := p.words[j]
			switch {
			case t.kind == tkPunct:
				ok = false
			case j == len(p.words)-1 && p.lastPrefix:
				ok = len(t.text) >= len(w) && t.text[:len(w)] == w
			default:
				ok = t.text == w
			}
		}
		if ok {
			return i + len(p.words), p
		}
	}
	return 0, nil
}

// negate marks the units inside each negation's reach. A clause ends at
// punctuation or a BREAK word ("mas", "porque"), so in "ainda não paguei
// mas pago amanhã" only "paguei" is negated. A negation word closing its
// clause negates the word before it: Brazilian "paguei não".
func (l *lang) negate(us []unit) {
	reach := 0
	clauseStart, contents := 0, 0
	closeClause := func(end int) {
		// Trailing negation: "[...] paguei não" with nothing after.
		last := -1
		for k := end - 1; k >= clauseStart; k-- {
			if !us[k].punct {
				last = k
				break
			}
		}
		if last > clauseStart && contents >= 2 && us[last].negCue && us[last].end-us[last].start == 1 {
			prev := last - 1
			if !us[prev].negCue && !us[prev].neg && !us[prev].cs.has(l.noneg) {
				us[prev].neg = true
			}
		}
	}
	for k := range us {
		u := &us[k]
		if u.punct || (u.cs.has(l.brk) && !u.negCue) {
			closeClause(k)
			if contents > 1 {
				l.stripAlone(us[clauseStart:k])
			}
			reach, clauseStart, contents = 0, k+1, 0
			continue
		}
		contents++
		// "recebi nada", "tenho nenhum": a negation word right after a
		// word negates it. After a NONEG phrase that already holds a
		// negation it only agrees with it: "não faz sentido nenhum".
		if u.cs.has(l.postneg) && k > clauseStart && !us[k-1].punct && !us[k-1].negCue && !us[k-1].cs.has(l.noneg) {
			us[k-1].neg = true
		}
		if u.negCue {
			reach = negationReach
			continue
		}
		if reach > 0 {
			u.neg = true
			if !u.cs.has(l.skip) {
				reach--
			}
		}
	}
	closeClause(len(us))
	if contents > 1 {
		l.stripAlone(us[clauseStart:])
	}
}

// stripAlone removes ALONE concepts from the units of a clause that has
// more than one word.
func (l *lang) stripAlone(us []unit) {
	if l.alone.empty() {
		return
	}
	for k := range us {
		for i := range us[k].cs {
			us[k].cs[i] &^= l.alone[i]
		}
	}
}
