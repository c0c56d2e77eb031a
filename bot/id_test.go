package bot

import (
	"sort"
	"testing"
)

func TestMonotonicIDsSortInCreationOrder(t *testing.T) {
	g := NewIDs()
	ids := make([]string, 5000)
	for i := range ids {
		ids[i] = g.New("out")
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatal("ids are not increasing")
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] || len(id) != len("out_")+26 {
			t.Fatalf("duplicate or malformed id %q", id)
		}
		seen[id] = true
	}
}

func TestSequenceIDs(t *testing.T) {
	var s SequenceIDs
	if a, b := s.New("cnv"), s.New("out"); a != "cnv_000001" || b != "out_000002" {
		t.Fatalf("got %s %s", a, b)
	}
}
