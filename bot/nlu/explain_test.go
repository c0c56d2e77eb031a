package nlu

import (
	"os"
	"sort"
	"strings"
	"testing"
)

// explain renders how a message was read: each unit with its concepts,
// '~' marking negated ones. It is a tuning aid for data authors:
//
//	NLU_EXPLAIN="não recebi o boleto" NLU_LOCALE=pt-BR go test -run Explain -v ./bot/nlu
func (l *lang) explain(text string) string {
	_, raw := tokenize(text, nil, nil)
	toks := l.rewrite(raw, nil)
	us := l.units(toks, nil)
	l.negate(us)
	var b strings.Builder
	for _, u := range us {
		var names []string
		for n, id := range l.conceptID {
			if u.cs.has(id) {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for i := u.start; i < u.end; i++ {
			if i > u.start {
				b.WriteByte('_')
			}
			b.WriteString(toks[i].text)
		}
		b.WriteByte('[')
		if u.neg {
			b.WriteByte('~')
		}
		b.WriteString(strings.Join(names, ","))
		b.WriteString("] ")
	}
	return b.String()
}

func TestExplain(t *testing.T) {
	text := os.Getenv("NLU_EXPLAIN")
	if text == "" {
		t.Skip("set NLU_EXPLAIN to a message")
	}
	c := newTestClassifier(t)
	loc := os.Getenv("NLU_LOCALE")
	t.Log(c.pick(loc).explain(text))
	t.Logf("%+v", c.Classify(text, loc, refTime(t)))
}
