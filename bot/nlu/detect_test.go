package nlu

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Detection floors, a little under what the detector reached when they
// were set (see docs/benchmarks.md). right is the share of lines in a
// language detected as it; wrong the share detected as another language,
// the costlier mistake since it answers in a language the debtor did not
// write. A line detected as "" (unknown) keeps the conversation's language:
// the blind sets hold many one-word answers ("sim", "1", "hola"), which
// are unknown by design, so their right share stays between 0.75 and 0.88.
const (
	detectRightFloor = 0.72
	// detectOwnFloor is the right share on detect.tsv, whose language
	// lines all have at least two words.
	detectOwnFloor  = 0.95
	detectWrongCeil = 0.01
	// detectAmbiguousFloor is the share of "-" lines (too short or
	// ambiguous) that must come out "".
	detectAmbiguousFloor = 0.95
)

type detectTally struct{ n, right, wrong, none int }

func (t detectTally) rates() (right, wrong float64) {
	if t.n == 0 {
		return 1, 0
	}
	return float64(t.right) / float64(t.n), float64(t.wrong) / float64(t.n)
}

func (t *detectTally) add(want, got string) {
	t.n++
	switch got {
	case want:
		t.right++
	case "":
		t.none++
	default:
		t.wrong++
	}
}

// TestDetect measures language detection on the detection corpus
// (testdata/detect.tsv), the mixed blind set and the per-language blind
// sets, whose files name their language.
//
//	go test ./bot/nlu -run Detect -v                    the figures
//	go test ./bot/nlu -run Detect -v -nlu.show=detect   every line detected wrong or not at all
func TestDetect(t *testing.T) {
	c := newTestClassifier(t)
	ambiguous, own := detectTally{}, detectTally{}
	for _, l := range readDetect(t, filepath.Join("testdata", "detect.tsv")) {
		got := c.Detect(l.text)
		if l.want == "-" {
			ambiguous.add("", got)
		} else {
			own.add(l.want, got)
		}
		if *showFailures == "detect" && got != strings.TrimPrefix(l.want, "-") {
			t.Logf("detect.tsv: want %s got %q | %s", l.want, got, l.text)
		}
	}
	r, _ := ambiguous.rates()
	t.Logf("detect.tsv ambiguous lines kept unknown %.3f (%d/%d)", r, ambiguous.right, ambiguous.n)
	if r < detectAmbiguousFloor {
		t.Errorf("ambiguous lines kept unknown %.3f below floor %.2f", r, detectAmbiguousFloor)
	}
	check := func(name string, tl detectTally, floor float64) {
		right, wrong := tl.rates()
		t.Logf("%-22s right %.3f (%d/%d)  unknown %d  wrong %.3f (%d)", name, right, tl.right, tl.n, tl.none, wrong, tl.wrong)
		if right < floor {
			t.Errorf("%s: detection right %.3f below floor %.2f", name, right, floor)
		}
		if wrong > detectWrongCeil {
			t.Errorf("%s: detection wrong %.3f above ceiling %.2f", name, wrong, detectWrongCeil)
		}
	}
	check("detect.tsv", own, detectOwnFloor)
	mixed := detectTally{}
	perLang := map[string]*detectTally{}
	for _, ex := range loadTSV(t, filepath.Join("testdata", "blind", "2026-12.mixed.tsv")) {
		got := c.Detect(ex.text)
		mixed.add(ex.split, got)
		if perLang[ex.split] == nil {
			perLang[ex.split] = &detectTally{}
		}
		perLang[ex.split].add(ex.split, got)
		if *showFailures == "detect" && got != ex.split {
			t.Logf("2026-12.mixed.tsv:%d want %s got %q | %s", ex.line, ex.split, got, ex.text)
		}
	}
	check("2026-12.mixed", mixed, detectRightFloor)
	for _, l := range []string{"pt-BR", "en", "es"} {
		if tl := perLang[l]; tl != nil {
			right, wrong := tl.rates()
			t.Logf("    %-6s right %.3f (%d/%d)  unknown %d  wrong %.3f", l, right, tl.right, tl.n, tl.none, wrong)
		}
	}
	for _, name := range []string{"pt-BR", "en", "es", "pt-BR.fresh"} {
		want, _, _ := strings.Cut(name, ".")
		tl := detectTally{}
		for _, ex := range loadTSV(t, filepath.Join("testdata", "blind", name+".tsv")) {
			tl.add(want, c.Detect(ex.text))
		}
		check("blind "+name, tl, detectRightFloor)
	}
}

type detectLine struct{ want, text string }

func readDetect(t *testing.T, path string) []detectLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []detectLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		want, text, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("%s: want locale<TAB>text: %q", path, line)
		}
		out = append(out, detectLine{want, text})
	}
	return out
}
