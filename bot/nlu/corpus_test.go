package nlu

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

// showFailures prints the misclassified lines of one split ("train",
// "test", "dev") when tuning: go test -run Corpus -v -nlu.show=train
var showFailures = flag.String("nlu.show", "", "print misclassified lines of this split")

// Accuracy floors on the held-out split of the corpus, per locale. They
// are set a little under what the classifier reaches so that a regression
// fails the build, not a lucky line.
var corpusFloors = map[string]float64{"pt-BR": 0.95, "en": 0.90, "es": 0.90}

// intentFloors bound each intent's accuracy on the held-out split: pt-BR
// has ~20 test lines per intent, en and es only four, where one miss is
// already 25 %.
var intentFloors = map[string]float64{"pt-BR": 0.85, "en": 0.75, "es": 0.75}

// entityFloor is the share of lines asserting entities whose every
// asserted key must come out equal.
const entityFloor = 0.95

// mustRecall are intents that may never be missed: a missed opt-out keeps
// messaging someone who asked us to stop, a missed wrong person discloses
// a debt to a stranger.
var mustRecall = []bot.Intent{bot.IntentOptOut, bot.IntentWrongPerson}

type example struct {
	file, split string
	line        int
	intent      bot.Intent
	ents        map[string]any
	text        string
}

func loadTSV(t *testing.T, path string) []example {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []example
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", 4)
		if len(parts) != 4 {
			t.Fatalf("%s:%d: want 4 tab-separated fields", path, n)
		}
		ex := example{file: filepath.Base(path), split: parts[0], line: n, intent: bot.Intent(parts[1]), text: parts[3]}
		if parts[2] != "-" {
			if err := json.Unmarshal([]byte(parts[2]), &ex.ents); err != nil {
				t.Fatalf("%s:%d: entities: %v", path, n, err)
			}
		}
		if intentIndex(string(ex.intent)) < 0 {
			t.Fatalf("%s:%d: unknown intent %q", path, n, ex.intent)
		}
		out = append(out, ex)
	}
	return out
}

// entitiesMatch compares only the keys the line asserts.
func entitiesMatch(want map[string]any, got bot.Entities) bool {
	for k, v := range want {
		switch k {
		case "date":
			if got.Date != v {
				return false
			}
		case "amount_cents":
			if f, _ := v.(float64); got.AmountCents != int64(f) {
				return false
			}
		case "installments":
			if f, _ := v.(float64); got.Installments != int(f) {
				return false
			}
		case "option":
			if got.Option != fmt.Sprint(v) {
				return false
			}
		case "topic":
			// "" asserts that no topic is set.
			if got.Topic != fmt.Sprint(v) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

type tally struct{ ok, n int }

func (t tally) rate() float64 {
	if t.n == 0 {
		return 1
	}
	return float64(t.ok) / float64(t.n)
}

// refTime is the corpus reference moment: Monday 2026-11-23 10:00 in São Paulo.
func refTime(t testing.TB) time.Time {
	loc, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		loc = time.FixedZone("BRT", -3*3600)
	}
	return time.Date(2026, 11, 23, 10, 0, 0, 0, loc)
}

func TestCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "corpus")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("corpus directory absent")
	}
	c := newTestClassifier(t)
	now := refTime(t)
	for _, locale := range []string{"pt-BR", "en", "es"} {
		path := filepath.Join(dir, locale+".tsv")
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s missing", path)
			continue
		}
		exs := loadTSV(t, path)
		// The dev set: dev.tsv is Portuguese, dev.<locale>.tsv the others.
		dev := filepath.Join("testdata", "dev."+locale+".tsv")
		if locale == "pt-BR" {
			dev = filepath.Join("testdata", "dev.tsv")
		}
		if _, err := os.Stat(dev); err == nil {
			exs = append(exs, loadTSV(t, dev)...)
		}
		t.Run(locale, func(t *testing.T) { checkCorpus(t, c, locale, exs, now) })
	}
}

func checkCorpus(t *testing.T, c *Classifier, locale string, exs []example, now time.Time) {
	splits := map[string]*tally{}
	perIntent := map[string]map[bot.Intent]*tally{}
	confusion := map[string]int{}
	ents := map[string]*tally{}
	for _, ex := range exs {
		split := ex.split
		if strings.HasPrefix(ex.file, "dev") {
			split = "dev"
		}
		got := c.Classify(ex.text, locale, now)
		if splits[split] == nil {
			splits[split], ents[split], perIntent[split] = &tally{}, &tally{}, map[bot.Intent]*tally{}
		}
		pi := perIntent[split][ex.intent]
		if pi == nil {
			pi = &tally{}
			perIntent[split][ex.intent] = pi
		}
		splits[split].n++
		pi.n++
		ok := got.Intent == ex.intent
		if ok {
			splits[split].ok++
			pi.ok++
		} else {
			confusion[fmt.Sprintf("%s %s→%s", split, ex.intent, got.Intent)]++
			for _, must := range mustRecall {
				if ex.intent == must {
					t.Errorf("%s:%d (%s) missed %s: %q → %s", ex.file, ex.line, split, must, ex.text, got.Intent)
				}
			}
		}
		entOK := true
		if ex.ents != nil {
			ents[split].n++
			if entOK = entitiesMatch(ex.ents, got.Entities); entOK {
				ents[split].ok++
			}
		}
		if *showFailures == split && (!ok || !entOK) {
			t.Logf("%s:%d want %s %v got %s %.2f %+v | %s", ex.file, ex.line, ex.intent, ex.ents, got.Intent, got.Confidence, got.Entities, ex.text)
		}
	}
	names := make([]string, 0, len(splits))
	for s := range splits {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		t.Logf("%s %-5s accuracy %.3f (%d/%d)  entities %.3f (%d/%d)", locale, s, splits[s].rate(), splits[s].ok, splits[s].n,
			ents[s].rate(), ents[s].ok, ents[s].n)
		if testing.Verbose() {
			for _, in := range bot.AllIntents {
				if ti := perIntent[s][in]; ti != nil {
					t.Logf("    %-22s %.2f (%d/%d)", in, ti.rate(), ti.ok, ti.n)
				}
			}
		}
	}
	if testing.Verbose() {
		keys := make([]string, 0, len(confusion))
		for k := range confusion {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			return confusion[keys[i]] > confusion[keys[j]] || (confusion[keys[i]] == confusion[keys[j]] && keys[i] < keys[j])
		})
		for _, k := range keys {
			t.Logf("  confusion %-48s %d", k, confusion[k])
		}
	}
	if tt := splits["test"]; tt != nil && tt.rate() < corpusFloors[locale] {
		t.Errorf("%s test accuracy %.3f below floor %.2f", locale, tt.rate(), corpusFloors[locale])
	}
	for in, ti := range perIntent["test"] {
		if ti.rate() < intentFloors[locale] {
			t.Errorf("%s test accuracy of %s %.2f below floor %.2f", locale, in, ti.rate(), intentFloors[locale])
		}
	}
	for _, s := range names {
		if ents[s].rate() < entityFloor {
			t.Errorf("%s %s entity accuracy %.3f below floor %.2f", locale, s, ents[s].rate(), entityFloor)
		}
	}
}
