package locales

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// NLUFiles holds the language-understanding data of every shipped locale,
// one nlu/<locale>.nlu file each. It is embedded so the binary runs
// offline; bot/nlu compiles it into a classifier.
//
//go:embed nlu
var NLUFiles embed.FS

// NLUIntents are the intent names of contract §3 that rules may name. It
// mirrors bot.AllIntents because this package must not import bot; a test in
// bot/nlu keeps the two lists equal.
var NLUIntents = []string{
	"already_paid", "invoice_not_received", "request_installments",
	"pay_now", "promise_to_pay", "request_extension", "dispute_amount",
	"financial_hardship", "balance_inquiry", "human_agent", "opt_out",
	"wrong_person", "affirmative", "negative", "greeting", "thanks", "unknown",
}

// NLUTopics are the topic names (bot.Entities.Topic) that [topic NAME]
// sections may name. It mirrors the bot.Topic* constants because this
// package must not import bot; a test in bot/nlu keeps the two equal.
var NLUTopics = []string{
	"who_is_writing", "third_party", "deceased", "self", "opt_in", "plan_cancel", "installment",
}

// NLUBuiltins are the rule terms computed by the classifier rather than by
// the lexicon: entities found in the message and its shape ($number: the
// message holds a number written in digits).
var NLUBuiltins = []string{"$date", "$amount", "$installments", "$option", "$question", "$short", "$number"}

// NLUData is one locale's parsed .nlu file. Words are kept as written; the
// classifier folds them (case, accents, repeated letters) the same way it
// folds messages, so the data can be written in natural spelling.
type NLUData struct {
	Locale   string
	Settings map[string]string
	// Replace rewrites one token into zero or more tokens (abbreviations).
	Replace []Replacement
	// Suffixes rewrite word endings for words the lexicon does not know:
	// diminutives and superlatives ("parcelinha" → "parcela") and spoken
	// spellings ("quitadu" → "quitado").
	Suffixes []Replacement
	// Concepts name groups of words and phrases that rules refer to.
	Concepts []Concept
	// Rules say which combinations of concepts signal which intent.
	Rules []Rule
	// TopicRules say which combinations of concepts set which topic; they
	// have Topic set, no Intent, and weight 1.
	TopicRules []Rule
	// Numbers are number words; a Multiplier scales what precedes it.
	Numbers []NumberWord
	// Entity patterns: token sequences with placeholders (see Pattern).
	Dates, Amounts, Installments, Options []Pattern
	// Word lists.
	Joiners, Weekdays, Months, CurrencyBefore, CurrencyAfter, Cents, Common []ValueWord
	// Detect holds the words that mark a message as written in this
	// language ([detect]): common in it and rare in the others.
	Detect []ValueWord
	// DetectLetters are the letters or signs only this language uses among
	// those shipped ([detect] "letters = ç ã õ"), checked before folding.
	DetectLetters []rune
}

// Replacement rewrites the token From into To (possibly empty).
type Replacement struct {
	From string
	To   []string
	Line int
}

// Concept is a named set of entries. An entry is one word or a phrase of
// several; a trailing '*' on its last word matches any word starting so.
type Concept struct {
	Name    string
	Entries []string
	File    string
	Line    int
}

// Rule says that a message whose concepts satisfy every term signals
// Intent with strength Weight in (0,1]. Terms: NAME (the concept occurs
// outside a negation's scope), ~NAME (occurs negated), ?NAME (occurs
// either way), -NAME (does not occur), -~NAME (does not occur negated),
// !NAME (does not occur un-negated),
// and the builtins of NLUBuiltins, optionally prefixed with '-' to require
// their absence.
//
// A topic rule ([topic NAME]) has the same terms, Topic instead of Intent,
// and no weight: it holds or not.
type Rule struct {
	Intent string
	Topic  string
	Terms  []string
	Weight float64
	File   string
	Line   int
}

// NumberWord is a number word and its value; a Multiplier ("mil",
// "hundred") multiplies the group before it instead of adding.
type NumberWord struct {
	Word       string
	Value      int64
	Multiplier bool
	Line       int
}

// ValueWord is a word with an optional small integer (weekday 1=Monday..7,
// month 1..12; zero for plain lists).
type ValueWord struct {
	Word  string
	Value int
	Line  int
}

// Pattern is an entity pattern: words, NUM for a number (digits or number
// words), WEEKDAY and MONTH for names from those lists; Value says what the
// match yields and is interpreted by the classifier per entity kind.
type Pattern struct {
	Words []string
	Value string
	Line  int
}

// LoadNLU parses the nlu/*.nlu files of fsys (shaped like NLUFiles) and
// returns them by locale. A locale may be split over several files,
// <locale>.nlu and <locale>.<part>.nlu, read in name order as one: sections
// are per file, concepts and rules span the locale.
func LoadNLU(fsys fs.FS) (map[string]*NLUData, error) {
	names, err := fs.Glob(fsys, "nlu/*.nlu")
	if err != nil {
		return nil, fmt.Errorf("locales: list nlu files: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("locales: no nlu/*.nlu files")
	}
	sort.Strings(names)
	byLocale := map[string][]NLUPart{}
	var order []string
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("locales: read %s: %w", name, err)
		}
		loc, _, _ := strings.Cut(path.Base(name), ".")
		if _, ok := byLocale[loc]; !ok {
			order = append(order, loc)
		}
		byLocale[loc] = append(byLocale[loc], NLUPart{Name: name, Data: raw})
	}
	out := make(map[string]*NLUData, len(order))
	for _, loc := range order {
		d, err := ParseNLUParts(byLocale[loc])
		if err != nil {
			return nil, err
		}
		if d.Locale != loc {
			return nil, fmt.Errorf("locales: files nlu/%s.* declare locale %q", loc, d.Locale)
		}
		out[loc] = d
	}
	return out, nil
}

// NLUPart is one file of a locale's data.
type NLUPart struct {
	Name string
	Data []byte
}

// ParseNLU parses a locale held in one file.
func ParseNLU(name string, raw []byte) (*NLUData, error) {
	return ParseNLUParts([]NLUPart{{Name: name, Data: raw}})
}

// ParseNLUParts parses the files of one locale as a whole. It rejects what
// would silently do nothing or be ambiguous: unknown sections, unknown
// intents or concepts in rules, and duplicated entries.
func ParseNLUParts(parts []NLUPart) (*NLUData, error) {
	p := &parser{d: &NLUData{Settings: map[string]string{}}, seen: map[string]string{}}
	for _, part := range parts {
		p.name, p.line, p.section, p.arg = part.Name, 0, "", ""
		sc := bufio.NewScanner(bytes.NewReader(part.Data))
		sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
		for sc.Scan() {
			p.line++
			text := strings.TrimSpace(stripComment(sc.Text()))
			if text == "" {
				continue
			}
			if err := p.handle(text); err != nil {
				return nil, err
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("locales: %s: %w", part.Name, err)
		}
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.d, nil
}

// stripComment drops a '#' comment that starts a line or follows " # ";
// a bare '#' elsewhere is kept because emoji-free data never needs it but
// a phrase might.
func stripComment(s string) string {
	if strings.HasPrefix(strings.TrimSpace(s), "#") {
		return ""
	}
	if i := strings.Index(s, " # "); i >= 0 {
		return s[:i]
	}
	return s
}

type parser struct {
	name    string
	d       *NLUData
	line    int
	section string
	arg     string
	seen    map[string]string // section-scoped duplicate keys → first file:line
}

func (p *parser) errf(format string, args ...any) error {
	return fmt.Errorf("locales: %s:%d: %s", p.name, p.line, fmt.Sprintf(format, args...))
}

func (p *parser) dup(key string) error {
	k := p.section + "\x00" + p.arg + "\x00" + key
	if first, ok := p.seen[k]; ok {
		return p.errf("duplicate %q in [%s %s] (first at %s)", key, p.section, p.arg, first)
	}
	p.seen[k] = fmt.Sprintf("%s:%d", p.name, p.line)
	return nil
}

func (p *parser) handle(text string) error {
	if strings.HasPrefix(text, "[") {
		if !strings.HasSuffix(text, "]") {
			return p.errf("bad section header %q", text)
		}
		f := strings.Fields(text[1 : len(text)-1])
		if len(f) == 0 || len(f) > 2 {
			return p.errf("bad section header %q", text)
		}
		p.section, p.arg = f[0], ""
		if len(f) == 2 {
			p.arg = f[1]
		}
		return p.openSection()
	}
	switch p.section {
	case "locale":
		k, v, ok := splitAssign(text)
		if !ok {
			return p.errf("want key = value")
		}
		if err := p.dup(k); err != nil {
			return err
		}
		if k == "name" {
			p.d.Locale = v
		}
		p.d.Settings[k] = v
	case "replace", "suffixes":
		k, v, ok := splitAssign(text)
		if !ok || strings.Contains(k, " ") {
			return p.errf("want word = replacement")
		}
		if err := p.dup(k); err != nil {
			return err
		}
		r := Replacement{From: k, To: strings.Fields(v), Line: p.line}
		if p.section == "suffixes" {
			if len(r.To) > 1 {
				return p.errf("a suffix is replaced by one ending")
			}
			p.d.Suffixes = append(p.d.Suffixes, r)
		} else {
			p.d.Replace = append(p.d.Replace, r)
		}
	case "concept":
		c := &p.d.Concepts[len(p.d.Concepts)-1]
		for _, e := range strings.Split(text, ",") {
			e = strings.Join(strings.Fields(e), " ")
			if e == "" {
				continue
			}
			if err := p.dup(e); err != nil {
				return err
			}
			c.Entries = append(c.Entries, e)
		}
	case "intent", "topic":
		return p.rule(text)
	case "numbers":
		return p.number(text)
	case "dates", "amounts", "installments", "options":
		return p.pattern(text)
	case "detect":
		if k, v, ok := splitAssign(text); ok {
			if k != "letters" {
				return p.errf("[detect] takes words and one letters = … line")
			}
			for _, f := range strings.Fields(v) {
				r := []rune(f)
				if len(r) != 1 {
					return p.errf("letters are single characters: %q", f)
				}
				p.d.DetectLetters = append(p.d.DetectLetters, r[0])
			}
			return nil
		}
		return p.words(text)
	case "joiners", "currency_before", "currency_after", "cents", "common", "weekdays", "months":
		return p.words(text)
	default:
		return p.errf("line outside a known section")
	}
	return nil
}

func (p *parser) openSection() error {
	switch p.section {
	case "concept":
		if p.arg == "" || strings.ToUpper(p.arg) != p.arg {
			return p.errf("concept names are UPPERCASE: %q", p.arg)
		}
		for _, c := range p.d.Concepts {
			if c.Name == p.arg {
				return p.errf("concept %s defined twice", p.arg)
			}
		}
		p.d.Concepts = append(p.d.Concepts, Concept{Name: p.arg, File: p.name, Line: p.line})
	case "intent":
		if !validIntent(p.arg) {
			return p.errf("unknown intent %q", p.arg)
		}
	case "topic":
		if !validTopic(p.arg) {
			return p.errf("unknown topic %q", p.arg)
		}
	case "locale", "replace", "suffixes", "numbers", "dates", "amounts", "installments", "options",
		"joiners", "currency_before", "currency_after", "cents", "common", "weekdays", "months", "detect":
		if p.arg != "" {
			return p.errf("[%s] takes no argument", p.section)
		}
	default:
		return p.errf("unknown section [%s]", p.section)
	}
	return nil
}

func (p *parser) rule(text string) error {
	body, weight := text, 1.0
	if i := strings.LastIndex(text, "="); i >= 0 && p.section == "topic" {
		return p.errf("topic rules take no weight: %q", text)
	} else if i >= 0 {
		w, err := strconv.ParseFloat(strings.TrimSpace(text[i+1:]), 64)
		if err != nil || w <= 0 || w > 1 {
			return p.errf("rule weight must be in (0,1]: %q", text[i+1:])
		}
		body, weight = text[:i], w
	}
	terms := strings.Fields(body)
	if len(terms) == 0 {
		return p.errf("empty rule")
	}
	sorted := append([]string(nil), terms...)
	sort.Strings(sorted)
	if err := p.dup(strings.Join(sorted, " ")); err != nil {
		return err
	}
	if p.section == "topic" {
		p.d.TopicRules = append(p.d.TopicRules, Rule{Topic: p.arg, Terms: terms, Weight: weight, File: p.name, Line: p.line})
		return nil
	}
	p.d.Rules = append(p.d.Rules, Rule{Intent: p.arg, Terms: terms, Weight: weight, File: p.name, Line: p.line})
	return nil
}

func (p *parser) number(text string) error {
	k, v, ok := splitAssign(text)
	if !ok {
		return p.errf("want word = value or word = x1000")
	}
	nw := NumberWord{Word: k, Line: p.line}
	if strings.HasPrefix(v, "x") {
		nw.Multiplier, v = true, v[1:]
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return p.errf("bad number %q", v)
	}
	nw.Value = n
	if err := p.dup(k); err != nil {
		return err
	}
	p.d.Numbers = append(p.d.Numbers, nw)
	return nil
}

func (p *parser) pattern(text string) error {
	k, v, ok := splitAssign(text)
	if !ok {
		return p.errf("want pattern = value")
	}
	if err := p.dup(k); err != nil {
		return err
	}
	pat := Pattern{Words: strings.Fields(k), Value: v, Line: p.line}
	switch p.section {
	case "dates":
		p.d.Dates = append(p.d.Dates, pat)
	case "amounts":
		p.d.Amounts = append(p.d.Amounts, pat)
	case "installments":
		p.d.Installments = append(p.d.Installments, pat)
	case "options":
		p.d.Options = append(p.d.Options, pat)
	}
	return nil
}

func (p *parser) words(text string) error {
	var list *[]ValueWord
	ranged := 0
	switch p.section {
	case "joiners":
		list = &p.d.Joiners
	case "currency_before":
		list = &p.d.CurrencyBefore
	case "currency_after":
		list = &p.d.CurrencyAfter
	case "cents":
		list = &p.d.Cents
	case "common":
		list = &p.d.Common
	case "detect":
		list = &p.d.Detect
	case "weekdays":
		list, ranged = &p.d.Weekdays, 7
	case "months":
		list, ranged = &p.d.Months, 12
	}
	if ranged > 0 {
		// "n = word, word" lines: every word names the same weekday/month.
		k, v, ok := splitAssign(text)
		n, err := strconv.Atoi(k)
		if !ok || err != nil || n < 1 || n > ranged {
			return p.errf("want N = words with N in 1..%d", ranged)
		}
		for _, w := range strings.Split(v, ",") {
			if w = strings.TrimSpace(w); w == "" {
				continue
			}
			if err := p.dup(w); err != nil {
				return err
			}
			*list = append(*list, ValueWord{Word: w, Value: n, Line: p.line})
		}
		return nil
	}
	for _, w := range strings.Split(text, ",") {
		if w = strings.TrimSpace(w); w == "" {
			continue
		}
		if err := p.dup(w); err != nil {
			return err
		}
		*list = append(*list, ValueWord{Word: w, Line: p.line})
	}
	return nil
}

// finish checks what needs the whole file: rules may only name concepts
// the file defines.
func (p *parser) finish() error {
	if p.d.Locale == "" {
		return fmt.Errorf("locales: %s: missing [locale] name", p.name)
	}
	defined := map[string]bool{}
	for _, c := range p.d.Concepts {
		if len(c.Entries) == 0 {
			return fmt.Errorf("locales: %s:%d: concept %s is empty", c.File, c.Line, c.Name)
		}
		defined[c.Name] = true
	}
	builtin := map[string]bool{}
	for _, b := range NLUBuiltins {
		builtin[b] = true
	}
	for _, r := range append(p.d.Rules[:len(p.d.Rules):len(p.d.Rules)], p.d.TopicRules...) {
		for _, t := range r.Terms {
			op, name := splitTerm(t)
			if builtin[name] {
				if op != "" && op != "-" {
					return fmt.Errorf("locales: %s:%d: builtin %s takes only '-'", r.File, r.Line, name)
				}
				continue
			}
			if !defined[name] {
				return fmt.Errorf("locales: %s:%d: bad rule term %q", r.File, r.Line, t)
			}
		}
	}
	return nil
}

// splitTerm splits a rule term into its operator ("", "~", "?", "-",
// "-~", "!") and name.
func splitTerm(t string) (string, string) {
	for _, op := range []string{"-~", "-", "~", "?", "!"} {
		if strings.HasPrefix(t, op) {
			return op, t[len(op):]
		}
	}
	return "", t
}

func splitAssign(s string) (string, string, bool) {
	i := strings.Index(s, "=")
	if i <= 0 {
		return "", "", false
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:]), true
}

func validIntent(name string) bool {
	for _, n := range NLUIntents {
		if n == name {
			return true
		}
	}
	return false
}

func validTopic(name string) bool {
	for _, n := range NLUTopics {
		if n == name {
			return true
		}
	}
	return false
}

// NLURuleTopics returns the topics that d's topic rules can set, sorted;
// tests use it to check that every locale covers the same topics.
func NLURuleTopics(d *NLUData) []string {
	set := map[string]bool{}
	for _, r := range d.TopicRules {
		set[r.Topic] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// NLURuleIntents returns the intents that d's rules can produce, sorted;
// tests use it to check that every locale covers the same intents.
func NLURuleIntents(d *NLUData) []string {
	set := map[string]bool{}
	for _, r := range d.Rules {
		set[r.Intent] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
