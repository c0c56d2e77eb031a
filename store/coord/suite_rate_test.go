package coord_test

import (
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

func allow(t *testing.T, c bot.Coordinator, key string, limit int, window time.Duration) bool {
	t.Helper()
	ok, err := c.Allow(t.Context(), key, limit, window)
	if err != nil {
		t.Fatalf("Allow(%q): %v", key, err)
	}
	return ok
}

func testAllowLimitsPerWindow(t *testing.T, c bot.Coordinator) {
	const limit, window = 3, 400 * time.Millisecond
	for i := range limit {
		if !allow(t, c, "phone", limit, window) {
			t.Fatalf("event %d of %d refused", i+1, limit)
		}
	}
	for range 3 {
		if allow(t, c, "phone", limit, window) {
			t.Fatalf("event over the limit of %d accepted", limit)
		}
	}
	time.Sleep(window + 100*time.Millisecond)
	for i := range limit {
		if !allow(t, c, "phone", limit, window) {
			t.Fatalf("after the window, event %d of %d refused", i+1, limit)
		}
	}
	if allow(t, c, "phone", limit, window) {
		t.Fatal("after the window, event over the limit accepted")
	}
	if allow(t, c, "none", 0, window) {
		t.Fatal("a limit of 0 accepted an event")
	}
}

// testAllowWindowSlides tells a sliding window from a fixed one: after the
// first of two events leaves the window, one more fits, not two. The margins
// are wide; memory_internal_test.go pins the exact edges with a fake clock.
func testAllowWindowSlides(t *testing.T, c bot.Coordinator) {
	const limit, window = 2, 400 * time.Millisecond
	if !allow(t, c, "k", limit, window) {
		t.Fatal("first event refused")
	}
	start := time.Now() // the first event happened before this
	time.Sleep(200 * time.Millisecond)
	if !allow(t, c, "k", limit, window) || allow(t, c, "k", limit, window) {
		t.Fatal("want the second event accepted and the third refused")
	}
	time.Sleep(window + 20*time.Millisecond - time.Since(start))
	if !allow(t, c, "k", limit, window) {
		t.Fatal("event refused after the first one left the window")
	}
	if allow(t, c, "k", limit, window) {
		t.Fatal("two events accepted while the second one was still in the window")
	}
}

func testAllowKeysAreIndependent(t *testing.T, c bot.Coordinator) {
	if !allow(t, c, "a", 1, longTTL) || allow(t, c, "a", 1, longTTL) {
		t.Fatal("key a: want one event accepted, the next refused")
	}
	if !allow(t, c, "b", 1, longTTL) {
		t.Fatal("key b refused because of key a")
	}
}
