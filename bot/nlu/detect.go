package nlu

import (
	"math/bits"
	"sort"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/locales"
)

// Language detection scores a message's words against what every locale's
// data knows, so it needs no data of its own beyond the [detect] cues and
// grows with the lexicons. A word only one locale knows is evidence for
// it; a word several know is split between them, so shared words such as
// "no" or "que" weigh little. The [detect] cues (function words, letters
// like ç and ñ) weigh more than lexicon words, since a debtor writing in
// Spanish may use no debt word at all ("me quedé sin trabajo").

const (
	// cueWeight and wordWeight are what a [detect] cue and a lexicon word
	// add, before being split between the locales that know them.
	cueWeight, wordWeight = 2.0, 1.0
	// letterWeight is what a letter only one language uses adds, once per
	// message: "ação" is Portuguese however few words surround it.
	letterWeight = 2.0
	// detectMin is the score the best locale needs, and detectMargin how
	// far ahead of the next it must be; below either the message is
	// ambiguous and keeps the conversation's language.
	detectMin, detectMargin = 2.0, 1.0
	// detectMinWords is how many words a message needs to be judged at
	// all: one word ("ok", "sim", "si", "gracias") says too little, and
	// flipping a conversation's language on it would do more harm than
	// answering one "gracias" in Portuguese.
	detectMinWords = 2
)

// detector holds, per folded word, which locales know it (bit i is
// detectLocales[i]) and whether as a [detect] cue.
type detector struct {
	locales []string
	words   map[string]wordLocales
	letters map[rune]uint8
}

type wordLocales struct{ known, cue uint8 }

// newDetector indexes every locale's known words and cues. At most eight
// locales fit the bit masks, far more than ship.
func newDetector(langs map[string]*lang, data map[string]*locales.NLUData) *detector {
	d := &detector{words: map[string]wordLocales{}, letters: map[rune]uint8{}}
	for name := range langs {
		d.locales = append(d.locales, name)
	}
	sort.Strings(d.locales)
	if len(d.locales) > 8 {
		d.locales = d.locales[:8]
	}
	var buf []byte
	var toks []token
	for i, name := range d.locales {
		bit := uint8(1) << i
		l := langs[name]
		for w := range l.known {
			e := d.words[w]
			e.known |= bit
			d.words[w] = e
		}
		for w := range l.replace {
			e := d.words[w]
			e.known |= bit
			d.words[w] = e
		}
		nd := data[name]
		if nd == nil {
			continue
		}
		for _, r := range nd.DetectLetters {
			d.letters[foldCase(r)] |= bit
		}
		for _, vw := range nd.Detect {
			buf, toks = tokenize(vw.Word, buf, toks[:0])
			for _, t := range toks {
				if t.kind != tkWord {
					continue
				}
				e := d.words[t.text]
				e.known |= bit
				e.cue |= bit
				d.words[t.text] = e
			}
		}
	}
	return d
}

// detect returns the locale the tokens (and the raw text's letters) point
// to, or "" when the message is too short or ambiguous, and the mask of
// the locales of which it holds a [detect] cue word.
func (d *detector) detect(text string, toks []token) (string, uint8) {
	var score [8]float64
	var knownMask uint8
	words := 0
	for _, t := range toks {
		if t.kind != tkWord {
			continue
		}
		words++
		e, ok := d.words[t.text]
		if !ok || e.known == 0 {
			continue
		}
		knownMask |= e.cue
		n := float64(bits.OnesCount8(e.known))
		for i := range d.locales {
			bit := uint8(1) << i
			switch {
			case e.cue&bit != 0:
				score[i] += cueWeight / n
			case e.known&bit != 0:
				score[i] += wordWeight / n
			}
		}
	}
	if words < detectMinWords {
		return "", knownMask
	}
	var seen uint8
	for _, r := range text {
		if r < 0x80 {
			continue
		}
		if m, ok := d.letters[foldCase(r)]; ok && seen&m == 0 {
			seen |= m
			n := float64(bits.OnesCount8(m))
			for i := range d.locales {
				if m&(1<<i) != 0 {
					score[i] += letterWeight / n
				}
			}
		}
	}
	best, second := -1, -1
	for i := range d.locales {
		switch {
		case best < 0 || score[i] > score[best]:
			best, second = i, best
		case second < 0 || score[i] > score[second]:
			second = i
		}
	}
	if best < 0 || score[best] < detectMin || (second >= 0 && score[best]-score[second] < detectMargin) {
		return "", knownMask
	}
	return d.locales[best], knownMask
}

// foldCase lowers the upper-case letters the cues may use (Ç, Ñ, Ã…),
// keeping accents, which is all the letter cues need.
func foldCase(r rune) rune {
	if r >= 'À' && r <= 'Þ' && r != '×' {
		return r + 32
	}
	return r
}

// Detect returns the language a message is written in, one of the
// compiled locales, or "" when the message is too short or ambiguous to
// tell ("ok", "1", "👍", "si"): callers then keep the language they had.
func (c *Classifier) Detect(text string) string {
	s := c.getScratch()
	defer c.putScratch(s)
	s.buf, s.raw = tokenize(text, s.buf, s.raw[:0])
	l, _ := c.detector.detect(text, s.raw)
	return l
}

// ClassifyDetected classifies a message in the language it is written in
// and returns that language too ("" when it could not be told). A message
// too short to tell is classified in fallback, the language the caller was
// using; if that comes out unknown and the message holds none of
// fallback's [detect] cue words, the other locales are tried in order,
// since a bare "yes", "STOP" or "gracias" in a Portuguese conversation is
// still plainly meant, while "kkkkk" (a pt-BR cue) is laughter in
// Portuguese whatever "k" means in English. The message is tokenized once
// for detection and classification alike.
func (c *Classifier) ClassifyDetected(text, fallback string, now time.Time) (bot.Classification, string) {
	s := c.getScratch()
	defer c.putScratch(s)
	s.buf, s.raw = tokenize(text, s.buf, s.raw[:0])
	detected, cues := c.detector.detect(text, s.raw)
	in := func(l *lang) bot.Classification {
		s.toks = l.rewrite(s.raw, s.toks[:0])
		return l.classify(text, s, now)
	}
	if detected != "" {
		return in(c.pick(detected)), detected
	}
	first := c.pick(fallback)
	out := in(first)
	if out.Intent != bot.IntentUnknown {
		return out, ""
	}
	for i, name := range c.detector.locales {
		if name == first.name {
			if cues&(1<<i) != 0 {
				return out, ""
			}
			break
		}
	}
	for _, name := range c.detector.locales {
		if name == first.name {
			continue
		}
		if alt := in(c.langs[name]); alt.Intent != bot.IntentUnknown {
			return alt, ""
		}
	}
	return out, ""
}
