package nlu

// lookup returns the concepts of one word: exact entries and every stem
// entry it starts with ("parcel*" covers parcela, parcelamento); for a word
// the data does not know, a diminutive or spoken ending rewritten
// ("parcelinha", "brigadu"), else lexicon words one typo away ("boletu",
// "parselar").
func (l *lang) lookup(w string) cset {
	cs := l.exact(w)
	if _, ok := l.words[w]; ok || len(w) < 4 || isDigit(rune(w[0])) {
		return cs
	}
	if _, ok := l.known[w]; ok {
		return cs
	}
	if len(w) == 4 {
		// Too short for typo matching, long enough for a spoken ending
		// ("pagu" → "pago").
		if cs.empty() {
			return l.suffixed(w)
		}
		return cs
	}
	if !cs.empty() {
		// A stem matched; a typo of a full word may still add meaning
		// ("quitadu" is quita* and quitado).
		return l.fuzzyWords(w, cs, false)
	}
	if sc := l.suffixed(w); !sc.empty() {
		return sc
	}
	return l.fuzzyWords(w, cs, true)
}

// suffixed returns the concepts of w with a spoken or diminutive ending
// rewritten ("parcelinha" → "parcela"), or none.
func (l *lang) suffixed(w string) cset {
	for _, sf := range l.suffixes {
		if len(w) > len(sf.from)+2 && w[len(w)-len(sf.from):] == sf.from {
			stem := w[:len(w)-len(sf.from)] + sf.to
			if to, ok := l.replace[stem]; ok && len(to) == 1 {
				stem = to[0]
			}
			if sc := l.exact(stem); !sc.empty() {
				return sc
			}
		}
	}
	return cset{}
}

// exact returns the concepts of w from exact and stem entries only.
func (l *lang) exact(w string) cset {
	cs := l.words[w]
	for k := min(len(w), l.prefixMax); k >= l.prefixMin; k-- {
		if p, ok := l.prefixes[w[:k]]; ok {
			cs.union(&p)
		}
	}
	return cs
}

// fuzzyWords adds the concepts of lexicon words one edit from w, and of
// stems when withStems is set.
func (l *lang) fuzzyWords(w string, cs cset, withStems bool) cset {
	for i := range l.fuzzy[w[0]] {
		e := &l.fuzzy[w[0]][i]
		if e.prefix {
			if withStems && prefixOneEdit(e.text, w) {
				cs.union(&e.cs)
			}
			continue
		}
		if d := len(w) - len(e.text); d >= -1 && d <= 1 && oneEdit(w, e.text) {
			cs.union(&e.cs)
		}
	}
	return cs
}

// oneEdit reports whether a and b differ by at most one substitution,
// insertion, deletion or swap of neighbouring letters.
func oneEdit(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	switch len(a) - len(b) {
	case 0:
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		if i == len(a) {
			return true
		}
		if a[i+1:] == b[i+1:] {
			return true // substitution
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case 1:
		i := 0
		for i < len(b) && a[i] == b[i] {
			i++
		}
		return a[i+1:] == b[i:]
	}
	return false
}

// prefixOneEdit reports whether some beginning of w is one edit away from
// stem, so a stem entry still matches a misspelt inflection.
func prefixOneEdit(stem, w string) bool {
	n := len(stem)
	for _, k := range [3]int{n, n + 1, n - 1} {
		if k >= 4 && k <= len(w) && oneEdit(stem, w[:k]) {
			return true
		}
	}
	return false
}
