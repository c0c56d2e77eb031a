package nlu

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

// The blind sets (testdata/blind) are messages written from scratch, apart
// from the corpus, to estimate how the classifier does on text it was not
// written for: <locale>.tsv is the blind set proper (written before the
// data was read; the data was then improved by general changes while it was
// measured, so it is no longer untouched), <locale>.fresh.tsv a second set
// written after those changes and measured once, untuned. Never copy their
// lines into the lexicons; a miss is a hint at a missing concept or rule.
//
//	go test ./bot/nlu -run Blind -v                    per-intent accuracy, confusions
//	go test ./bot/nlu -run Blind -v -nlu.show=blind    the misses
type blindSet struct {
	name, locale string
	floor        float64 // overall accuracy
	intentFloor  float64 // accuracy of each intent
	// recallMisses is how many opt_out / wrong_person lines may be missed:
	// none in the sets the data was improved on; the fresh set keeps the
	// misses it had when first measured, since fixing them would tune it.
	recallMisses int
	// mixed sets hold lines in several languages, the split column naming
	// each line's language; they are classified without giving the locale,
	// as `quita classify` without --locale does, so a wrong language
	// guess costs accuracy the way it would in production.
	mixed bool
	// entityFloor overrides blindEntityFloor when set.
	entityFloor float64
}

// Floors sit at or a little under what the classifier reached when they
// were set (pt-BR 0.996, en 0.993, es 1.000, pt-BR.fresh 0.955 on first
// and only measurement, up from 0.939 before the changes).
var blindSets = []blindSet{
	{name: "pt-BR", locale: "pt-BR", floor: 0.98, intentFloor: 0.90},
	{name: "en", locale: "en", floor: 0.97, intentFloor: 0.85},
	{name: "es", locale: "es", floor: 0.97, intentFloor: 0.85},
	{name: "pt-BR.fresh", locale: "pt-BR", floor: 0.93, intentFloor: 0.75, recallMisses: 1},
	// Written for issue 15 before any change it asked for, and measured
	// without the locale: 0.681 at first (no detection, everything read as
	// pt-BR), 0.926 with per-message detection. The four misses left are
	// Procon / Reclame Aqui threats, "esse cpf não é meu" and "número
	// equivocado" (as Portuguese as it is Spanish, so read in the fallback
	// pt-BR, whose data takes "equivocado" for a dispute): classifier work
	// issue 15 still asks for.
	{name: "2026-12.mixed", floor: 0.91, intentFloor: 0.60, recallMisses: 4, mixed: true},
}

// blindClassify classifies a line in the set's locale, or for a mixed set
// in the language detected, falling back to the default locale as a
// caller with no conversation language would.
func blindClassify(c *Classifier, set blindSet, ex example) bot.Classification {
	if set.mixed {
		got, _ := c.ClassifyDetected(ex.text, DefaultLocale, blindNow)
		return got
	}
	return c.Classify(ex.text, set.locale, blindNow)
}

// blindEntityFloor is the share of blind lines asserting entities whose
// every asserted key must come out equal.
const blindEntityFloor = 0.95

// blindNow is the blind sets' reference moment, set by TestBlind.
var blindNow time.Time

func TestBlind(t *testing.T) {
	blindNow = refTime(t)
	dir := filepath.Join("testdata", "blind")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("blind directory absent")
	}
	c := newTestClassifier(t)
	for _, set := range blindSets {
		path := filepath.Join(dir, set.name+".tsv")
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s missing", path)
			continue
		}
		exs := loadTSV(t, path)
		t.Run(set.name, func(t *testing.T) { checkBlind(t, c, set, exs) })
	}
}

func checkBlind(t *testing.T, c *Classifier, set blindSet, exs []example) {
	now := refTime(t)
	all, ents := tally{}, tally{}
	perIntent := map[bot.Intent]*tally{}
	confusion := map[string]int{}
	recallMisses := 0
	for _, ex := range exs {
		got := blindClassify(c, set, ex)
		pi := perIntent[ex.intent]
		if pi == nil {
			pi = &tally{}
			perIntent[ex.intent] = pi
		}
		all.n++
		pi.n++
		ok := got.Intent == ex.intent
		if ok {
			all.ok++
			pi.ok++
		} else {
			confusion[fmt.Sprintf("%s→%s", ex.intent, got.Intent)]++
			for _, must := range mustRecall {
				if ex.intent == must {
					recallMisses++
					t.Logf("%s:%d missed %s: %q → %s", ex.file, ex.line, must, ex.text, got.Intent)
				}
			}
		}
		entOK := true
		if ex.ents != nil {
			ents.n++
			if entOK = entitiesMatch(ex.ents, got.Entities); entOK {
				ents.ok++
			}
		}
		if *showFailures == "blind" && (!ok || !entOK) {
			t.Logf("%s:%d want %s %v got %s %.2f %+v | %s", ex.file, ex.line, ex.intent, ex.ents, got.Intent, got.Confidence, got.Entities, ex.text)
		}
	}
	if set.mixed {
		// For reference: what the same lines score when the locale is given.
		// Per language, both ways, since a language the detector misses
		// shows as a gap between the two.
		given, perLang, perLangGiven := tally{}, map[string]*tally{}, map[string]*tally{}
		for _, ex := range exs {
			if perLang[ex.split] == nil {
				perLang[ex.split], perLangGiven[ex.split] = &tally{}, &tally{}
			}
			given.n++
			perLang[ex.split].n++
			perLangGiven[ex.split].n++
			if c.Classify(ex.text, ex.split, now).Intent == ex.intent {
				given.ok++
				perLangGiven[ex.split].ok++
			}
			if blindClassify(c, set, ex).Intent == ex.intent {
				perLang[ex.split].ok++
			}
		}
		t.Logf("%s blind accuracy with the locale given %.3f (%d/%d)", set.name, given.rate(), given.ok, given.n)
		for _, l := range []string{"pt-BR", "en", "es"} {
			if tl := perLang[l]; tl != nil {
				t.Logf("    %-6s not given %.3f (%d/%d)  given %.3f (%d/%d)", l, tl.rate(), tl.ok, tl.n, perLangGiven[l].rate(), perLangGiven[l].ok, perLangGiven[l].n)
			}
		}
	}
	t.Logf("%s blind accuracy %.3f (%d/%d)  entities %.3f (%d/%d)", set.name, all.rate(), all.ok, all.n, ents.rate(), ents.ok, ents.n)
	if testing.Verbose() {
		for _, in := range bot.AllIntents {
			if ti := perIntent[in]; ti != nil {
				t.Logf("    %-22s %.2f (%d/%d)", in, ti.rate(), ti.ok, ti.n)
			}
		}
		keys := make([]string, 0, len(confusion))
		for k := range confusion {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			return confusion[keys[i]] > confusion[keys[j]] || (confusion[keys[i]] == confusion[keys[j]] && keys[i] < keys[j])
		})
		for _, k := range keys {
			t.Logf("  confusion %-44s %d", k, confusion[k])
		}
	}
	if all.rate() < set.floor {
		t.Errorf("%s blind accuracy %.3f below floor %.2f", set.name, all.rate(), set.floor)
	}
	for in, ti := range perIntent {
		if ti.rate() < set.intentFloor {
			t.Errorf("%s blind accuracy of %s %.2f below floor %.2f", set.name, in, ti.rate(), set.intentFloor)
		}
	}
	if recallMisses > set.recallMisses {
		t.Errorf("%s: %d opt_out/wrong_person lines missed, at most %d allowed", set.name, recallMisses, set.recallMisses)
	}
	entFloor := blindEntityFloor
	if set.entityFloor > 0 {
		entFloor = set.entityFloor
	}
	if ents.rate() < entFloor {
		t.Errorf("%s blind entity accuracy %.3f below floor %.2f", set.name, ents.rate(), entFloor)
	}
}
