package nlu

import (
	"testing"

	"github.com/quitabot/quita/bot"
)

// FuzzClassify checks that no input panics and that every answer is a
// contract intent with a confidence in 0..1.
func FuzzClassify(f *testing.F) {
	for _, m := range benchMix {
		f.Add(m.text, m.locale)
	}
	for _, s := range []string{"", "1/", "10/", "/10", "r$", "R$ ,", "1.2.3,4,5", "dia", "em x", "não não não",
		"12/13/2026", "31/02", "9999999999999999999 reais", "👍🏻‍", "\xff\xfe", "mil mil mil reais", "'''", "a'b"} {
		f.Add(s, "pt-BR")
	}
	c := newTestClassifier(f)
	now := refTime(f)
	valid := map[bot.Intent]bool{}
	for _, in := range bot.AllIntents {
		valid[in] = true
	}
	f.Fuzz(func(t *testing.T, text, locale string) {
		got := c.Classify(text, locale, now)
		if !valid[got.Intent] || got.Confidence < 0 || got.Confidence > 1 {
			t.Fatalf("%q: %+v", text, got)
		}
		// With the language detected the same holds, and the language is
		// a compiled locale or "".
		got, lang := c.ClassifyDetected(text, locale, now)
		if !valid[got.Intent] || got.Confidence < 0 || got.Confidence > 1 {
			t.Fatalf("%q detected: %+v", text, got)
		}
		if lang != "" && c.langs[lang] == nil {
			t.Fatalf("%q: detected %q, not a compiled locale", text, lang)
		}
		if d := c.Detect(text); d != lang {
			t.Fatalf("%q: Detect %q, ClassifyDetected %q", text, d, lang)
		}
	})
}
