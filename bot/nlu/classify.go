package nlu

import (
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/locales"
)

// DefaultLocale is used for messages whose locale is unknown.
const DefaultLocale = "pt-BR"

// strongWeight is the rule weight from which a cue takes part in the
// contract's precedence; weaker cues only decide when nothing strong
// matched, so a stray "valor" cannot outrank a clear "quero parcelar".
const strongWeight = 0.75

// Classifier understands debtor messages. It is immutable after New and
// safe for concurrent use.
type Classifier struct {
	langs    map[string]*lang
	def      *lang
	detector *detector
	pool     sync.Pool
}

// scratch is the per-call working memory, pooled so a classification
// allocates little more than its folded text.
type scratch struct {
	buf   []byte
	raw   []token
	toks  []token
	units []unit
	nums  []numMatch
}

// New compiles the *.nlu files under nlu/ in fsys (shaped like
// locales.NLUFiles). It fails if any locale does not compile or pt-BR is
// missing, since pt-BR is the fallback.
func New(fsys fs.FS) (*Classifier, error) {
	data, err := locales.LoadNLU(fsys)
	if err != nil {
		return nil, fmt.Errorf("nlu: %w", err)
	}
	c := &Classifier{langs: map[string]*lang{}}
	for name, d := range data {
		l, err := compile(d)
		if err != nil {
			return nil, err
		}
		c.langs[name] = l
	}
	if c.def = c.langs[DefaultLocale]; c.def == nil {
		return nil, fmt.Errorf("nlu: default locale %s missing", DefaultLocale)
	}
	c.detector = newDetector(c.langs, data)
	c.pool.New = func() any {
		return &scratch{buf: make([]byte, 0, 256), raw: make([]token, 0, 64), toks: make([]token, 0, 64), units: make([]unit, 0, 64), nums: make([]numMatch, 64)}
	}
	return c, nil
}

// Locales lists the compiled locales, sorted.
func (c *Classifier) Locales() []string {
	out := make([]string, 0, len(c.langs))
	for k := range c.langs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// pick finds the locale: exact name, then case-insensitive, then by
// language ("pt_PT", "en-US", "es-AR"), else the default.
func (c *Classifier) pick(locale string) *lang {
	if l, ok := c.langs[locale]; ok {
		return l
	}
	for name, l := range c.langs {
		if strings.EqualFold(name, locale) {
			return l
		}
	}
	if len(locale) >= 2 {
		for name, l := range c.langs {
			if strings.EqualFold(name[:2], locale[:2]) {
				return l
			}
		}
	}
	return c.def
}

// Classify returns the intent, confidence and entities of one message.
// now is the message time; its Location is the business timezone in which
// dates resolve.
func (c *Classifier) Classify(text, locale string, now time.Time) bot.Classification {
	l := c.pick(locale)
	s := c.getScratch()
	defer c.putScratch(s)
	s.buf, s.raw = tokenize(text, s.buf, s.raw[:0])
	s.toks = l.rewrite(s.raw, s.toks[:0])
	return l.classify(text, s, now)
}

func (c *Classifier) getScratch() *scratch { return c.pool.Get().(*scratch) }

func (c *Classifier) putScratch(s *scratch) {
	// A rare huge message should not pin its buffers in the pool.
	if cap(s.buf) <= 1<<16 && cap(s.toks) <= 1<<12 {
		c.pool.Put(s)
	}
}

func (l *lang) classify(text string, s *scratch, now time.Time) bot.Classification {
	var out bot.Classification
	toks := s.toks
	if opt, ok := bareOption(text, toks); ok {
		out.Entities.Option = opt
		switch {
		case opt == "1":
			out.Intent, out.Confidence = bot.IntentAffirmative, 0.9
		case opt == "2":
			out.Intent, out.Confidence = bot.IntentNegative, 0.9
		case intentIndex(buttonIntent(opt)) >= 0:
			out.Intent, out.Confidence = bot.Intent(buttonIntent(opt)), 1
		default:
			out.Intent, out.Confidence = bot.IntentUnknown, 0.5
		}
		if out.Entities.Option != opt {
			out.Entities.Option = strings.Clone(opt)
		}
		return out
	}

	if isPlaceholder(text) {
		// "<áudio>", "[figurinha]", "<Mídia oculta>": media the transport
		// could not show as text.
		out.Intent, out.Confidence = bot.IntentUnknown, 0.5
		return out
	}
	s.units = l.units(toks, s.units[:0])
	l.negate(s.units)
	var pos, neg, all cset
	question, tagQuestion, number, unrecognized, words, offTopic := false, false, false, 0, 0, 0
	firstContent := true
	for k := range s.units {
		u := &s.units[k]
		if u.punct {
			// A '?' after a tag word ("amanhã eu pago, ok?") seeks assent,
			// it does not ask for anything.
			if toks[u.start].punct == '?' {
				if k > 0 && s.units[k-1].cs.has(l.tagq) {
					tagQuestion = true
				} else {
					question = true
				}
			}
			continue
		}
		if firstContent && u.cs.has(l.qword) {
			question = true
		}
		firstContent = false
		if toks[u.start].kind == tkNum {
			number = true
		}
		if u.neg {
			neg.union(&u.cs)
		} else {
			pos.union(&u.cs)
		}
		all.union(&u.cs)
		if u.word {
			words += u.end - u.start
			if u.cs.empty() {
				unrecognized++
			}
			if !u.cs.meets(&l.social) {
				offTopic++
			}
		}
	}
	short := words <= 3
	if cap(s.nums) < len(toks) {
		s.nums = make([]numMatch, len(toks))
	}
	f := l.extract(toks, s.nums[:len(toks)], &all, short)
	var bits uint8
	if f.hasDate {
		bits |= bDate
	}
	if f.hasAmount {
		bits |= bAmount
	}
	if f.installments > 0 {
		bits |= bInstallments
	}
	if f.hasOption {
		bits |= bOption
	}
	// "blz?" alone asks how one is; "pago amanhã, ok?" only seeks assent
	// to a commitment, so a tag question counts only without a date.
	if question || (tagQuestion && !f.hasDate) {
		bits |= bQuestion
	}
	if short {
		bits |= bShort
	}
	if number {
		bits |= bNumber
	}

	var scores [numIntents]float64
	for k := range l.rules {
		r := &l.rules[k]
		// The test of rule.holds, written out: this loop runs over every
		// rule of every message and the call does not inline.
		if r.weight <= scores[r.intent] || bits&r.needB != r.needB || bits&r.forbidB != 0 {
			continue
		}
		if pos.covers(&r.pos) && neg.covers(&r.neg) && all.covers(&r.any) && !all.meets(&r.absent) && !neg.meets(&r.notNeg) && !pos.meets(&r.notPos) {
			scores[r.intent] = r.weight
		}
	}
	// Topic rules are ordered by topicPrecedence: the first that holds wins.
	for k := range l.topicRules {
		if r := &l.topicRules[k]; r.holds(bits, &pos, &neg, &all) {
			out.Entities.Topic = topicPrecedence[r.intent]
			break
		}
	}
	// Among strong intents the contract's precedence tier decides; inside a
	// tier (the concrete asks, yes/no, greeting/thanks) the stronger rule
	// wins and the listed order breaks ties.
	win, strong := -1, 0
	for i, sc := range scores {
		if sc < strongWeight {
			continue
		}
		strong++
		if win < 0 || (tier[i] == tier[win] && sc > scores[win]) {
			win = i
		}
	}
	if win < 0 {
		for i, sc := range scores {
			if sc > 0 && (win < 0 || sc > scores[win]) {
				win = i
			}
		}
	}
	unknown := intentIndex(string(bot.IntentUnknown))
	switch {
	case win < 0:
		out.Intent, out.Confidence = bot.IntentUnknown, 0.2
		if f.contentTokens == 0 || f.consumed > 0 {
			out.Confidence = 0.3
		}
	case (precedence[win] == bot.IntentGreeting || precedence[win] == bot.IntentThanks) && unrecognized >= 4,
		precedence[win] == bot.IntentGreeting && question && offTopic >= 2,
		(precedence[win] == bot.IntentAffirmative || precedence[win] == bot.IntentNegative) && !short && offTopic >= 2 && unrecognized >= 1:
		// "Oi, vocês vendem pizza?": a greeting that is not the message.
		// A question with two words that belong to no greeting is chat
		// too ("oi, vc sabe se a farmácia abre domingo?"), and so is a
		// yes or no among words that are about something else ("ok, vou
		// ver o jogo", "quero pizza de calabresa").
		out.Intent, out.Confidence = bot.IntentUnknown, 0.35
	case win == unknown:
		out.Intent, out.Confidence = bot.IntentUnknown, scores[win]*0.7
	default:
		out.Intent = precedence[win]
		conf := scores[win]
		if conf >= strongWeight {
			conf *= 0.98 - 0.06*float64(min(strong-1, 3))
		} else {
			conf *= 0.75
		}
		conf *= 1 - 0.04*float64(min(unrecognized, 5))
		out.Confidence = conf
	}
	out.Confidence = float64(int(out.Confidence*1000+0.5)) / 1000

	if f.hasDate {
		back := out.Intent == bot.IntentAlreadyPaid || pos.has(l.conceptID["PAID"])
		out.Entities.Date = resolve(f.date, now, back)
	}
	if f.hasAmount {
		out.Entities.AmountCents = f.amount
	}
	out.Entities.Installments = f.installments
	if f.hasOption {
		out.Entities.Option = strconv.Itoa(f.option)
	}
	return out
}

// holds reports whether the rule's terms hold for a message with the
// builtin bits and the un-negated, negated and all concepts given.
func (r *rule) holds(bits uint8, pos, neg, all *cset) bool {
	return bits&r.needB == r.needB && bits&r.forbidB == 0 &&
		pos.covers(&r.pos) && neg.covers(&r.neg) && all.covers(&r.any) &&
		!all.meets(&r.absent) && !neg.meets(&r.notNeg) && !pos.meets(&r.notPos)
}

// numIntents sizes the per-call score array so it stays on the stack; a
// test checks it against bot.AllIntents.
const numIntents = 17

// buttonIntent maps a button id to the intent it names, if any: "pay_now",
// "intent:pay_now" and "btn:opt_out" all select that intent, so flows can
// label buttons with intents and get them back unambiguously.
func buttonIntent(id string) string {
	id = strings.ToLower(id)
	if i := strings.LastIndexByte(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	return id
}

// isPlaceholder reports a message that is only a bracketed placeholder.
func isPlaceholder(text string) bool {
	t := trimSpace(text)
	if len(t) < 3 {
		return false
	}
	first, last := t[0], t[len(t)-1]
	return (first == '<' && last == '>' || first == '[' && last == ']') &&
		strings.IndexAny(t[1:len(t)-1], "<>[]") < 0
}
