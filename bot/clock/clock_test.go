package clock

import (
	"testing"
	"time"
)

func TestManualMovesForwardOnly(t *testing.T) {
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	m := NewManual(start)
	if err := m.Set(start.Add(-time.Second)); err == nil {
		t.Fatal("moving back was accepted")
	}
	if err := m.Set(start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	m.Advance(-time.Hour)
	if got := m.Now(); !got.Equal(start.Add(time.Hour)) {
		t.Fatalf("Now = %v", got)
	}
}

func TestOffsetJumpsAndKeepsFlowing(t *testing.T) {
	wall := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	o := &Offset{wall: func() time.Time { return wall }}
	target := wall.Add(72 * time.Hour)
	if err := o.Set(target); err != nil {
		t.Fatal(err)
	}
	if !o.Now().Equal(target) {
		t.Fatalf("Now = %v, want %v", o.Now(), target)
	}
	wall = wall.Add(time.Minute)
	if !o.Now().Equal(target.Add(time.Minute)) {
		t.Fatalf("offset clock stopped flowing: %v", o.Now())
	}
	if err := o.Set(target); err == nil {
		t.Fatal("moving back was accepted")
	}
}
