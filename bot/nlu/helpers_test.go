package nlu

import (
	"testing"

	"github.com/quitabot/quita/locales"
)

// newTestClassifier compiles the shipped data once per test.
func newTestClassifier(t testing.TB) *Classifier {
	t.Helper()
	c, err := New(locales.NLUFiles)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
