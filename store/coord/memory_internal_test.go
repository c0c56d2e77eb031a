package coord

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

// fakeClock puts a Memory at exact instants.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newClockedMemory() (*Memory, *fakeClock) {
	clock := &fakeClock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	m := NewMemory()
	m.now = clock.now
	return m, clock
}

func TestMemoryLeaseBoundary(t *testing.T) {
	m, clock := newClockedMemory()
	ctx := t.Context()
	l, err := m.TryLock(ctx, "k", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(time.Second - time.Nanosecond)
	if _, err := m.TryLock(ctx, "k", time.Second); !errors.Is(err, bot.ErrLockHeld) {
		t.Fatalf("1ns before expiry: TryLock = %v, want ErrLockHeld", err)
	}
	if err := l.Refresh(ctx, time.Second); err != nil {
		t.Fatalf("Refresh 1ns before expiry: %v", err)
	}
	clock.t = clock.t.Add(time.Second)
	if err := l.Refresh(ctx, time.Second); !errors.Is(err, bot.ErrLockHeld) {
		t.Fatalf("Refresh at expiry = %v, want ErrLockHeld", err)
	}
	if _, err := m.TryLock(ctx, "k", time.Second); err != nil {
		t.Fatalf("TryLock at expiry: %v", err)
	}
}

// TestMemoryAllowSlidingWindow pins the window's edges: an accepted event
// counts while now-t < window, so any window-long interval holds at most
// limit accepted events, and refused events are not recorded.
func TestMemoryAllowSlidingWindow(t *testing.T) {
	const limit, window = 2, 100 * time.Millisecond
	ms := time.Millisecond
	steps := []struct {
		at   time.Duration // since the first event
		want bool
	}{
		{0, true},
		{40 * ms, true},
		{99 * ms, false},                  // events at 0 and 40 count
		{100*ms - time.Nanosecond, false}, // 0 still counts, by 1ns
		{100 * ms, true},                  // 0 leaves exactly at +window
		{139 * ms, false},                 // 40 and 100 count
		{140 * ms, true},                  // 40 left; the refusals at 99 and 139 never counted
		{240 * ms, true},                  // 100 and 140 left: a full window again
		{240 * ms, true},                  // the same instant counts twice
		{240 * ms, false},                 // and then the window is full
	}
	m, clock := newClockedMemory()
	start := clock.t
	for _, s := range steps {
		clock.t = start.Add(s.at)
		got, err := m.Allow(t.Context(), "k", limit, window)
		if err != nil {
			t.Fatal(err)
		}
		if got != s.want {
			t.Fatalf("at +%v: Allow = %v, want %v", s.at, got, s.want)
		}
	}
}

func TestMemorySweepForgetsIdleKeys(t *testing.T) {
	m, clock := newClockedMemory()
	ctx := t.Context()
	for i := range sweepEvery / 2 {
		if _, err := m.TryLock(ctx, fmt.Sprint("lock", i), time.Second); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Allow(ctx, fmt.Sprint("rate", i), 1, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	held, err := m.TryLock(ctx, "held", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(time.Minute)
	m.ops = sweepEvery - 1                                           // the next operation sweeps
	if _, err := m.Allow(ctx, "fresh", 1, time.Second); err != nil { // triggers the sweep
		t.Fatal(err)
	}
	m.mu.Lock()
	leases, rates := len(m.leases), len(m.rates)
	m.mu.Unlock()
	if leases != 1 || rates != 1 {
		t.Fatalf("after sweep: %d leases, %d rate windows; want 1 and 1", leases, rates)
	}
	if err := held.Refresh(ctx, time.Hour); err != nil {
		t.Fatalf("sweep removed a live lease: %v", err)
	}
}
