package nlu

import (
	"unicode"
	"unicode/utf8"
)

// Token kinds.
const (
	tkWord  uint8 = iota + 1 // letters (and letters+digits such as "2via")
	tkNum                    // digits, possibly with . or , separators
	tkDate                   // d/m or d/m/y
	tkPunct                  // clause punctuation . , ; ! ? : and newlines
	tkEmoji                  // a pictograph, kept as its own word
)

// token is one word of a message after folding. Numbers carry their value
// in hundredths so "150", "150,00" and "1.234,56" share one representation.
type token struct {
	text  string
	kind  uint8
	punct byte
	frac  bool  // tkNum: had a decimal part
	num   int64 // tkNum: value in hundredths
	d, m  int   // tkDate
	y     int   // tkDate: 0 when absent
}

// foldRune maps a rune to its lower-case, accent-free form. It returns
// utf8.RuneError for runes that separate words. The table is explicit
// rather than using Unicode decomposition to stay allocation-free.
func foldRune(r rune) rune {
	if r < 0x80 {
		switch {
		case r >= 'A' && r <= 'Z':
			return r + 32
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		}
		return utf8.RuneError
	}
	switch r {
	case 'á', 'à', 'â', 'ã', 'ä', 'å', 'Á', 'À', 'Â', 'Ã', 'Ä', 'Å', 'ª':
		return 'a'
	case 'é', 'è', 'ê', 'ë', 'É', 'È', 'Ê', 'Ë':
		return 'e'
	case 'í', 'ì', 'î', 'ï', 'Í', 'Ì', 'Î', 'Ï':
		return 'i'
	case 'ó', 'ò', 'ô', 'õ', 'ö', 'Ó', 'Ò', 'Ô', 'Õ', 'Ö', 'º', '°':
		return 'o'
	case 'ú', 'ù', 'û', 'ü', 'Ú', 'Ù', 'Û', 'Ü':
		return 'u'
	case 'ç', 'Ç':
		return 'c'
	case 'ñ', 'Ñ':
		return 'n'
	case 'ý', 'ÿ', 'Ý':
		return 'y'
	}
	if unicode.IsLetter(r) {
		return unicode.ToLower(r)
	}
	return utf8.RuneError
}

// isEmoji reports runes kept as one-rune words: pictographs, dingbats and
// arrows. Skin-tone modifiers, joiners and variation selectors are not
// words at all (see isIgnorable), so "👍🏻" reads as "👍".
func isEmoji(r rune) bool {
	return (r >= 0x2190 && r <= 0x2BFF) || (r >= 0x1F000 && r <= 0x1FAFF) || r == 0x3030 || r == 0x303D
}

func isIgnorable(r rune) bool {
	return r == 0x200D || r == 0xFE0F || r == 0xFE0E || (r >= 0x1F3FB && r <= 0x1F3FF) || r == 0x20E3
}

// ordinalSuffix are the letters glued to a number that only mark it as
// ordinal ("1º", "2a via", "10th"); dropping them lets "2a via" read as
// "2 via" and "the 10th" as "the 10".
func ordinalSuffix(s string) bool {
	switch s {
	case "o", "a", "th", "st", "nd", "rd", "er":
		return true
	}
	return false
}

// tokenize folds text into buf and splits it into tokens appended to toks.
// Repeated letters collapse to one ("simmm" → "sim", "carro" → "caro"),
// which the lexicon undergoes too, so both sides meet in the same form.
func tokenize(text string, buf []byte, toks []token) ([]byte, []token) {
	buf = buf[:0]
	// Pass 1: fold into buf, one space between words, punctuation and
	// emoji as their own space-separated items; digit separators kept
	// when they sit between digits.
	var prev rune = ' '
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if isIgnorable(r) {
			continue
		}
		f := foldRune(r)
		if f != utf8.RuneError {
			if f >= 'a' && f <= 'z' && f == prev {
				continue // collapse repeated letters
			}
			if f >= 0x80 {
				buf = utf8.AppendRune(buf, f)
			} else {
				buf = append(buf, byte(f))
			}
			prev = f
			continue
		}
		switch {
		case (r == '\'' || r == '’') && prev >= 'a' && prev <= 'z' && i < len(text) && isLetterByte(text[i]):
			// "don't" → "dont", "I'll" → "ill": one word, as the lexicon spells it.
		case (r == '.' || r == ',' || r == '/') && isDigit(prev) && i < len(text) && isDigit(rune(text[i])):
			buf = append(buf, byte(r))
			prev = r
		case r == '$':
			buf = append(buf, '$')
			prev = r
		case r == '%':
			buf = append(buf, ' ', '%', ' ')
			prev = ' '
		case r == '.' || r == ',' || r == ';' || r == '!' || r == '?' || r == ':' || r == '\n' || r == '…':
			p := byte(r)
			if r == '\n' || r == '…' {
				p = '.'
			}
			buf = append(buf, ' ', p, ' ')
			prev = ' '
		case isEmoji(r):
			buf = append(buf, ' ')
			buf = utf8.AppendRune(buf, r)
			buf = append(buf, ' ')
			prev = ' '
		default:
			if prev != ' ' {
				buf = append(buf, ' ')
			}
			prev = ' '
		}
	}
	s := string(buf) // one allocation: every token text below slices it
	// Pass 2: split.
	for i := 0; i < len(s); {
		c := s[i]
		if c == ' ' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] != ' ' {
			j++
		}
		toks = splitWord(s[i:j], toks)
		i = j
	}
	return buf, toks
}

// splitWord turns one space-free chunk into tokens: punctuation, numbers,
// dates, "3x" → "3" "x", "r$150" → "r$" "150".
func splitWord(w string, toks []token) []token {
	if len(w) == 1 && isPunctByte(w[0]) {
		return append(toks, token{text: w, kind: tkPunct, punct: w[0]})
	}
	if r, _ := utf8.DecodeRuneInString(w); isEmoji(r) {
		return append(toks, token{text: w, kind: tkEmoji})
	}
	for len(w) > 0 {
		if isDigit(rune(w[0])) {
			j := 0
			for j < len(w) && (isDigit(rune(w[j])) || w[j] == '.' || w[j] == ',' || w[j] == '/') {
				j++
			}
			toks = append(toks, numberToken(w[:j]))
			w = w[j:]
			k := 0
			for k < len(w) && !isDigit(rune(w[k])) && w[k] != '$' {
				k++
			}
			if k > 0 && ordinalSuffix(w[:k]) {
				w = w[k:]
			}
			continue
		}
		j := 0
		for j < len(w) && !isDigit(rune(w[j])) {
			if w[j] == '$' {
				j++
				break
			}
			j++
		}
		// Letters glued to digits stay one word ("2via" is handled by the
		// replacement table) unless a '$' ends them ("r$150").
		if j < len(w) && w[j-1] != '$' {
			for j < len(w) && w[j] != '$' {
				j++
			}
		}
		toks = append(toks, token{text: w[:j], kind: tkWord})
		w = w[j:]
	}
	return toks
}

func isPunctByte(c byte) bool {
	switch c {
	case '.', ',', ';', '!', '?', ':', '%':
		return true
	}
	return false
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isLetterByte(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80 }

// numberToken parses digits with separators. A date is d/m or d/m/y. For
// amounts the last separator followed by one or two digits is the decimal
// mark and every other separator groups thousands, which reads both
// "1.234,56" and "1,234.56" right without knowing the locale.
func numberToken(s string) token {
	t := token{text: s, kind: tkNum}
	slashes := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			slashes++
		}
	}
	if slashes > 0 {
		var parts [3]int
		n, ok := 0, true
		for i := 0; i < len(s) && ok; i++ {
			switch c := s[i]; {
			case c == '/':
				n++
				ok = n < 3
			case isDigit(rune(c)):
				parts[n] = parts[n]*10 + int(c-'0')
				ok = parts[n] < 10000
			default:
				ok = false
			}
		}
		if ok && (slashes == 1 || slashes == 2) {
			t.kind, t.d, t.m = tkDate, parts[0], parts[1]
			if slashes == 2 {
				t.y = parts[2]
				if t.y < 100 {
					t.y += 2000
				}
			}
			return t
		}
		t.kind = tkWord
		return t
	}
	last := -1
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' || s[i] == ',' {
			last = i
			break
		}
	}
	decimalAt := -1
	if last >= 0 && len(s)-last-1 >= 1 && len(s)-last-1 <= 2 {
		decimalAt = last
	}
	var whole, frac int64
	fracDigits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(rune(c)) {
			continue
		}
		if decimalAt >= 0 && i > decimalAt {
			frac = frac*10 + int64(c-'0')
			fracDigits++
			continue
		}
		if whole < 1e12 {
			whole = whole*10 + int64(c-'0')
		}
	}
	if fracDigits == 1 {
		frac *= 10
	}
	t.num = whole*100 + frac
	t.frac = decimalAt >= 0
	return t
}
