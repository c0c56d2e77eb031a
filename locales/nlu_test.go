package locales

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func loadAll(t *testing.T) map[string]*NLUData {
	t.Helper()
	data, err := LoadNLU(NLUFiles)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestNLUFilesParse(t *testing.T) {
	data := loadAll(t)
	for _, want := range []string{"pt-BR", "en", "es"} {
		if data[want] == nil {
			t.Errorf("locale %s missing", want)
		}
	}
	names, _ := fs.Glob(NLUFiles, "nlu/*")
	for _, n := range names {
		if !strings.HasSuffix(n, ".nlu") {
			t.Errorf("%s: data files end in .nlu", n)
		}
	}
}

// Every locale answers with the same intents, so a message never falls
// through to unknown only because of its language.
func TestNLULocalesCoverSameIntents(t *testing.T) {
	data := loadAll(t)
	ref := NLURuleIntents(data["pt-BR"])
	if len(ref) != len(NLUIntents) {
		t.Errorf("pt-BR rules cover %d of %d intents: %v", len(ref), len(NLUIntents), ref)
	}
	for loc, d := range data {
		if got := NLURuleIntents(d); !reflect.DeepEqual(got, ref) {
			t.Errorf("%s covers %v, pt-BR %v", loc, got, ref)
		}
	}
}

// Every locale sets the same topics, and every topic is set somewhere.
func TestNLULocalesCoverSameTopics(t *testing.T) {
	data := loadAll(t)
	ref := NLURuleTopics(data["pt-BR"])
	if len(ref) != len(NLUTopics) {
		t.Errorf("pt-BR topic rules cover %d of %d topics: %v", len(ref), len(NLUTopics), ref)
	}
	for loc, d := range data {
		if got := NLURuleTopics(d); !reflect.DeepEqual(got, ref) {
			t.Errorf("%s covers %v, pt-BR %v", loc, got, ref)
		}
	}
}

func TestParseNLUTopic(t *testing.T) {
	src := "[locale]\nname = xx\n[concept A]\na\n[concept B]\nb\n" +
		"[intent greeting]\nA\n[topic self]\nA -~B $number\n"
	d, err := ParseNLU("x.nlu", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Rules) != 1 || len(d.TopicRules) != 1 {
		t.Fatalf("rules %+v topic rules %+v", d.Rules, d.TopicRules)
	}
	if r := d.TopicRules[0]; r.Topic != "self" || r.Intent != "" || len(r.Terms) != 3 {
		t.Errorf("topic rule %+v", r)
	}
	if got := NLURuleIntents(d); !reflect.DeepEqual(got, []string{"greeting"}) {
		t.Errorf("topic rules leak into intents: %v", got)
	}
}

func TestNLUDataShape(t *testing.T) {
	for loc, d := range loadAll(t) {
		if len(d.Numbers) < 20 || len(d.Weekdays) < 7 || len(d.Months) < 12 {
			t.Errorf("%s: number words, weekdays or months missing", loc)
		}
		if len(d.Dates) == 0 || len(d.Installments) == 0 || len(d.Options) == 0 || len(d.CurrencyAfter) == 0 {
			t.Errorf("%s: entity patterns missing", loc)
		}
		seenDay := map[int]bool{}
		for _, w := range d.Weekdays {
			seenDay[w.Value] = true
		}
		if len(seenDay) != 7 {
			t.Errorf("%s: weekdays cover %d days", loc, len(seenDay))
		}
		for _, want := range []string{"NEG", "SKIP", "BREAK"} {
			found := false
			for _, c := range d.Concepts {
				found = found || c.Name == want
			}
			if !found {
				t.Errorf("%s: concept %s missing", loc, want)
			}
		}
	}
}

// TestParseNLUDetect: [detect] holds words, and letters on one line, so
// that "é" the word is not taken for é the letter, which Spanish uses too.
func TestParseNLUDetect(t *testing.T) {
	d, err := ParseNLU("x.nlu", []byte("[locale]\nname = xx\n[detect]\nletters = ç Ã\nnão, é,\nvocê\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.DetectLetters, []rune{'ç', 'Ã'}) || len(d.Detect) != 3 || d.Detect[1].Word != "é" {
		t.Fatalf("letters %q words %+v", d.DetectLetters, d.Detect)
	}
}

func TestParseNLURejects(t *testing.T) {
	head := "[locale]\nname = xx\n"
	cases := map[string]string{
		"unknown intent":    head + "[concept A]\na\n[intent paid]\nA\n",
		"unknown concept":   head + "[concept A]\na\n[intent already_paid]\nB\n",
		"duplicate entry":   head + "[concept A]\na, b, a\n",
		"duplicate rule":    head + "[concept A]\na\n[concept B]\nb\n[intent greeting]\nA B\nB A\n",
		"concept twice":     head + "[concept A]\na\n[concept A]\nb\n",
		"lowercase concept": head + "[concept a]\na\n",
		"bad weight":        head + "[concept A]\na\n[intent greeting]\nA = 2\n",
		"builtin negated":   head + "[concept A]\na\n[intent greeting]\n~$date\n",
		"unknown section":   head + "[lexicon]\na\n",
		"missing locale":    "[concept A]\na\n",
		"bad weekday":       head + "[weekdays]\n8 = someday\n",
		"duplicate replace": head + "[replace]\nvc = você\nvc = vocês\n",
		"empty concept":     head + "[concept A]\n[intent greeting]\nA\n",
		"unknown topic":     head + "[concept A]\na\n[topic dead]\nA\n",
		"topic weight":      head + "[concept A]\na\n[topic deceased]\nA = 0.5\n",
		"topic bad term":    head + "[concept A]\na\n[topic deceased]\nB\n",
		"topic duplicate":   head + "[concept A]\na\n[concept B]\nb\n[topic self]\nA B\nB A\n",
		"detect key":        head + "[detect]\nsigns = ç\n",
		"detect letter":     head + "[detect]\nletters = ç ão\n",
		"detect duplicate":  head + "[detect]\neu, tu, eu\n",
	}
	for name, src := range cases {
		if _, err := ParseNLU("x.nlu", []byte(src)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseNLUTerms(t *testing.T) {
	src := "[locale]\nname = xx\n[concept A]\na, b c, d*\n[concept B]\nb\n" +
		"[intent greeting]\nA ~B ?B -B -~B !B $date -$short = 0.5\n"
	d, err := ParseNLU("x.nlu", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Concepts[0].Entries; !reflect.DeepEqual(got, []string{"a", "b c", "d*"}) {
		t.Errorf("entries %v", got)
	}
	if r := d.Rules[0]; r.Weight != 0.5 || len(r.Terms) != 8 {
		t.Errorf("rule %+v", r)
	}
}

func TestLoadNLUMergesParts(t *testing.T) {
	fsys := fstest.MapFS{
		"nlu/xx.nlu":       {Data: []byte("[locale]\nname = xx\n[concept A]\na\n")},
		"nlu/xx.rules.nlu": {Data: []byte("[intent greeting]\nA\n")},
	}
	data, err := LoadNLU(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if d := data["xx"]; d == nil || len(d.Rules) != 1 || d.Rules[0].File != "nlu/xx.rules.nlu" {
		t.Errorf("parts not merged: %+v", data)
	}
	bad := fstest.MapFS{"nlu/yy.nlu": {Data: []byte("[locale]\nname = xx\n")}}
	if _, err := LoadNLU(bad); err == nil {
		t.Error("a file naming another locale was accepted")
	}
}
