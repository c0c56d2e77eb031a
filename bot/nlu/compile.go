package nlu

import (
	"fmt"
	"sort"
	"strings"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/locales"
)

// maxConcepts bounds the concepts of one locale so a concept set fits in
// a fixed-size bit set that is copied, never allocated.
const maxConcepts = 256

// cset is a set of concept ids.
type cset [maxConcepts / 64]uint64

func (c *cset) add(i int)      { c[i>>6] |= 1 << (uint(i) & 63) }
func (c *cset) has(i int) bool { return i >= 0 && c[i>>6]&(1<<(uint(i)&63)) != 0 }
func (c *cset) union(o *cset)  { c[0] |= o[0]; c[1] |= o[1]; c[2] |= o[2]; c[3] |= o[3] }
func (c *cset) empty() bool    { return c[0]|c[1]|c[2]|c[3] == 0 }
func (c *cset) covers(r *cset) bool {
	return c[0]&r[0] == r[0] && c[1]&r[1] == r[1] && c[2]&r[2] == r[2] && c[3]&r[3] == r[3]
}
func (c *cset) meets(r *cset) bool {
	return c[0]&r[0]|c[1]&r[1]|c[2]&r[2]|c[3]&r[3] != 0
}

// Builtin rule terms, as bits.
const (
	bDate uint8 = 1 << iota
	bAmount
	bInstallments
	bOption
	bQuestion
	bShort
	bNumber
)

var builtinBits = map[string]uint8{
	"$date": bDate, "$amount": bAmount, "$installments": bInstallments,
	"$option": bOption, "$question": bQuestion, "$short": bShort, "$number": bNumber,
}

// rule is a compiled locales.Rule: bit sets tested against the message's.
type rule struct {
	intent                                int // index into precedence, or into topicPrecedence for a topic rule
	pos, neg, any, absent, notNeg, notPos cset
	needB, forbidB                        uint8
	weight                                float64
}

// suffix rewrites a word ending before lookup ("inha" → "a").
type suffix struct{ from, to string }

// phrase is a multi-word lexicon entry.
type phrase struct {
	words      []string
	lastPrefix bool
	cs         cset
	noNeg      bool // a NONEG phrase that starts with a negation word
}

type fuzzyEntry struct {
	text   string
	prefix bool
	cs     cset
}

// seq is a multi-word name with a value (weekdays, months).
type seq struct {
	words []string
	value int
}

// Pattern element kinds.
const (
	peWord uint8 = iota + 1
	peNum
	peWeekday
	peMonth
)

type pelem struct {
	kind uint8
	word string
}

type pattern struct {
	kind      int // entDate, entInstallments, entAmount, entOption
	elems     []pelem
	value     string // date value code, or "NUM"
	n         int    // constant of "+3d", "day:1"
	cond      cset   // concepts of which the message must have one; empty for none
	condShort bool
}

type numWord struct {
	value int64
	mult  bool
}

// lang is one locale, compiled.
type lang struct {
	name      string
	dmy       bool
	replace   map[string][]string
	suffixes  []suffix
	words     map[string]cset
	prefixes  map[string]cset
	prefixMin int
	prefixMax int
	phrases   map[string][]phrase
	fuzzy     map[byte][]fuzzyEntry
	known     map[string]struct{}

	conceptID                           map[string]int
	neg, skip, brk, qword, noneg, instC int
	tagq, postneg                       int
	// alone holds the concepts whose name ends in ALONE: they count only
	// when their word is the whole clause ("para" means stop only alone).
	alone cset
	// social holds the concepts a greeting or a yes/no may carry without
	// becoming another message: those of the greeting, thanks,
	// affirmative and negative rules, SKIP and SOCIAL ("bah, bom dia
	// tchê", "boa tarde, tudo certo por aí?").
	social cset

	rules []rule
	// topicRules are ordered by topicPrecedence, so the first that holds
	// names the message's topic.
	topicRules []rule

	numbers                    map[string]numWord
	joiners                    map[string]bool
	weekdays                   map[string][]seq
	months                     map[string][]seq
	curBefore, curAfter, cents map[string]bool

	// Entity patterns of every kind, indexed by what their first element
	// needs: a given word, or a number / weekday / month.
	patByWord   map[string][]pattern
	patByHolder [peMonth + 1][]pattern
}

// precedence lists intents from the one that wins a mixed message down,
// per contract §3. Ties inside the concrete asks follow the listed order.
var precedence = []bot.Intent{
	bot.IntentWrongPerson, bot.IntentAlreadyPaid, bot.IntentOptOut, bot.IntentHumanAgent,
	bot.IntentDisputeAmount,
	bot.IntentRequestInstallments, bot.IntentPayNow, bot.IntentPromiseToPay,
	bot.IntentRequestExtension, bot.IntentInvoiceNotReceived, bot.IntentBalanceInquiry,
	bot.IntentFinancialHardship,
	bot.IntentAffirmative, bot.IntentNegative,
	bot.IntentThanks, bot.IntentGreeting,
	bot.IntentUnknown,
}

// topicPrecedence lists topics from the one that wins a message holding
// several down (see doc.go): a death outranks who is answering, someone
// else answering outranks a "sou eu" inside their words ("sou a esposa
// dele"), identity outranks a question about the sender, and the
// requests about messages and plans come last.
var topicPrecedence = []string{
	bot.TopicDeceased, bot.TopicThirdParty, bot.TopicSelf, bot.TopicWhoIsWriting,
	bot.TopicOptIn, bot.TopicPlanCancel, bot.TopicInstallment,
}

func topicIndex(name string) int {
	for i, t := range topicPrecedence {
		if t == name {
			return i
		}
	}
	return -1
}

// tier groups precedence positions that the contract ranks equal: the
// concrete asks, affirmative/negative and greeting/thanks.
var tier = [...]int{0, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 6, 7, 7, 8, 8, 9}

func intentIndex(name string) int {
	for i, in := range precedence {
		if string(in) == name {
			return i
		}
	}
	return -1
}

// foldWord folds one data word without splitting it.
func foldWord(w string) string {
	_, toks := tokenize(w, nil, nil)
	if len(toks) == 0 {
		return ""
	}
	return toks[0].text
}

// norm folds a data string the way messages are folded, replacements
// included, so data can be written in natural spelling.
func (l *lang) norm(s string) []string {
	_, toks := tokenize(s, nil, nil)
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		if t.kind == tkPunct {
			continue
		}
		if to, ok := l.replace[t.text]; ok && t.kind == tkWord {
			out = append(out, to...)
			continue
		}
		out = append(out, t.text)
	}
	return out
}

func compile(d *locales.NLUData) (*lang, error) {
	l := &lang{
		name: d.Locale, dmy: d.Settings["date_order"] != "mdy",
		replace: map[string][]string{}, words: map[string]cset{}, prefixes: map[string]cset{},
		phrases: map[string][]phrase{}, fuzzy: map[byte][]fuzzyEntry{}, known: map[string]struct{}{},
		conceptID: map[string]int{}, numbers: map[string]numWord{}, joiners: map[string]bool{},
		weekdays: map[string][]seq{}, months: map[string][]seq{},
		curBefore: map[string]bool{}, curAfter: map[string]bool{}, cents: map[string]bool{},
		prefixMin: 1 << 30,
	}
	errf := func(line int, format string, args ...any) error {
		return fmt.Errorf("nlu: %s:%d: %s", d.Locale, line, fmt.Sprintf(format, args...))
	}
	for _, r := range d.Replace {
		_, toks := tokenize(r.From, nil, nil)
		if len(toks) != 1 {
			return nil, errf(r.Line, "replacement key %q is not one word", r.From)
		}
		var to []string
		for _, w := range r.To {
			_, tt := tokenize(w, nil, nil)
			for _, t := range tt {
				to = append(to, t.text)
			}
		}
		key := toks[0].text
		if old, ok := l.replace[key]; ok && strings.Join(old, " ") != strings.Join(to, " ") {
			return nil, errf(r.Line, "replacement %q folds onto an earlier key with another target", r.From)
		}
		if len(to) == 1 && to[0] == key {
			continue
		}
		l.replace[key] = to
	}
	for _, r := range d.Suffixes {
		to := ""
		if len(r.To) == 1 {
			to = foldWord(r.To[0])
		}
		l.suffixes = append(l.suffixes, suffix{from: foldWord(r.From), to: to})
	}
	if len(d.Concepts) > maxConcepts {
		return nil, fmt.Errorf("nlu: %s: more than %d concepts", d.Locale, maxConcepts)
	}
	for i, c := range d.Concepts {
		l.conceptID[c.Name] = i
		if strings.HasSuffix(c.Name, "ALONE") {
			l.alone.add(i)
		}
	}
	id := func(name string) int {
		if i, ok := l.conceptID[name]; ok {
			return i
		}
		return -1
	}
	l.neg, l.skip, l.brk, l.qword, l.noneg, l.instC = id("NEG"), id("SKIP"), id("BREAK"), id("QWORD"), id("NONEG"), id("INST")
	l.tagq, l.postneg = id("TAGQ"), id("POSTNEG")
	if err := l.compileLexicon(d); err != nil {
		return nil, err
	}
	for _, r := range d.Rules {
		cr, err := l.compileRule(r)
		if err != nil {
			return nil, errf(r.Line, "%v", err)
		}
		l.rules = append(l.rules, cr)
	}
	for _, r := range d.TopicRules {
		cr, err := l.compileTerms(r.Terms)
		if err != nil {
			return nil, errf(r.Line, "%v", err)
		}
		if cr.intent = topicIndex(r.Topic); cr.intent < 0 {
			return nil, errf(r.Line, "unknown topic %q", r.Topic)
		}
		cr.weight = 1
		l.topicRules = append(l.topicRules, cr)
	}
	sort.SliceStable(l.topicRules, func(a, b int) bool { return l.topicRules[a].intent < l.topicRules[b].intent })
	for _, r := range l.rules {
		switch precedence[r.intent] {
		case bot.IntentGreeting, bot.IntentThanks, bot.IntentAffirmative, bot.IntentNegative:
			l.social.union(&r.pos)
			l.social.union(&r.any)
		}
	}
	for _, name := range []string{"SKIP", "SOCIAL"} {
		if i := id(name); i >= 0 {
			l.social.add(i)
		}
	}
	if err := l.compileEntities(d); err != nil {
		return nil, err
	}
	l.indexFuzzy()
	return l, nil
}

func (l *lang) compileLexicon(d *locales.NLUData) error {
	for i, c := range d.Concepts {
		for _, e := range c.Entries {
			prefix := strings.HasSuffix(e, "*")
			words := l.norm(strings.TrimSuffix(e, "*"))
			if len(words) == 0 {
				return fmt.Errorf("nlu: %s:%d: entry %q is empty after folding", d.Locale, c.Line, e)
			}
			if len(words) == 1 {
				m := l.words
				if prefix {
					m = l.prefixes
					if n := len(words[0]); n < 3 {
						return fmt.Errorf("nlu: %s:%d: prefix %q is too short", d.Locale, c.Line, e)
					} else {
						l.prefixMin, l.prefixMax = min(l.prefixMin, n), max(l.prefixMax, n)
					}
				}
				cs := m[words[0]]
				cs.add(i)
				m[words[0]] = cs
				continue
			}
			l.addPhrase(words, prefix, i)
		}
	}
	// A phrase holding a negation word still negates what follows ("não
	// quero parcelar", "ainda não") unless it is listed under NONEG
	// ("pois não", "não sei").
	for _, list := range l.phrases {
		for j := range list {
			if list[j].cs.has(l.noneg) {
				list[j].noNeg = true
				continue
			}
			for _, w := range list[j].words {
				if wc := l.words[w]; wc.has(l.neg) {
					list[j].cs.union(&wc)
				}
			}
		}
		sort.SliceStable(list, func(a, b int) bool { return len(list[a].words) > len(list[b].words) })
	}
	return nil
}

func (l *lang) addPhrase(words []string, prefix bool, concept int) {
	list := l.phrases[words[0]]
	for j := range list {
		if list[j].lastPrefix == prefix && strings.Join(list[j].words, " ") == strings.Join(words, " ") {
			list[j].cs.add(concept)
			return
		}
	}
	p := phrase{words: words, lastPrefix: prefix}
	p.cs.add(concept)
	l.phrases[words[0]] = append(list, p)
}

func (l *lang) compileRule(r locales.Rule) (rule, error) {
	cr, err := l.compileTerms(r.Terms)
	if err != nil {
		return cr, err
	}
	cr.intent, cr.weight = intentIndex(r.Intent), r.Weight
	if cr.intent < 0 {
		return cr, fmt.Errorf("unknown intent %q", r.Intent)
	}
	return cr, nil
}

// compileTerms turns rule terms into the bit sets of a rule.
func (l *lang) compileTerms(terms []string) (rule, error) {
	var cr rule
	for _, t := range terms {
		op := ""
		name := t
		for _, p := range []string{"-~", "-", "~", "?", "!"} {
			if strings.HasPrefix(t, p) {
				op, name = p, t[len(p):]
				break
			}
		}
		if b, ok := builtinBits[name]; ok {
			switch op {
			case "":
				cr.needB |= b
			case "-":
				cr.forbidB |= b
			default:
				return cr, fmt.Errorf("builtin %s takes only '-'", name)
			}
			continue
		}
		i, ok := l.conceptID[name]
		if !ok {
			return cr, fmt.Errorf("unknown concept %q", name)
		}
		switch op {
		case "":
			cr.pos.add(i)
		case "~":
			cr.neg.add(i)
		case "?":
			cr.any.add(i)
		case "-":
			cr.absent.add(i)
		case "-~":
			cr.notNeg.add(i)
		case "!":
			cr.notPos.add(i)
		}
	}
	return cr, nil
}

// indexFuzzy lists the lexicon words long enough to be typo-matched,
// bucketed by first letter: a typo in the first letter is rare, and the
// bucket keeps the per-word search short.
func (l *lang) indexFuzzy() {
	for w, cs := range l.words {
		if len(w) >= 5 && !cs.has(l.skip) {
			l.fuzzy[w[0]] = append(l.fuzzy[w[0]], fuzzyEntry{text: w, cs: cs})
		}
		l.known[w] = struct{}{}
	}
	for w, cs := range l.prefixes {
		if len(w) >= 5 {
			l.fuzzy[w[0]] = append(l.fuzzy[w[0]], fuzzyEntry{text: w, prefix: true, cs: cs})
		}
	}
	for _, list := range l.phrases {
		for _, p := range list {
			for _, w := range p.words {
				l.known[w] = struct{}{}
			}
		}
	}
	for _, to := range l.replace {
		for _, w := range to {
			l.known[w] = struct{}{}
		}
	}
	for k, list := range l.fuzzy {
		sort.Slice(list, func(a, b int) bool { return list[a].text < list[b].text })
		l.fuzzy[k] = list
	}
}
