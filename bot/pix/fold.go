package pix

import (
	"strings"
	"unicode"
)

// accented and plain pair up rune by rune: the letters of Portuguese,
// Spanish and the other Latin-1 languages and their unaccented forms.
const (
	accented = "ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿ"
	plain    = "AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyy"
)

var foldMap = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'Æ': "AE", 'æ': "ae", 'Œ': "OE", 'œ': "oe", 'ª': "a", 'º': "o", '–': "-", '—': "-"}
	p := []rune(plain)
	for i, r := range []rune(accented) {
		m[r] = string(p[i])
	}
	return m
}()

// fold turns s into printable ASCII of at most limit bytes: accented
// letters lose their accents, other non-ASCII characters (including
// combining marks, so decomposed accents fold too) are dropped, runs of
// whitespace and control characters become one space, and the result is
// trimmed.
func fold(s string, limit int) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		var out string
		switch {
		case r > ' ' && r <= '~':
			out = string(r)
		case r <= ' ' || r == 0x7f || unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		default:
			out = foldMap[r]
		}
		if out == "" {
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteString(out)
	}
	out := b.String()
	if len(out) > limit {
		out = strings.TrimRight(out[:limit], " ")
	}
	return out
}
