package coord_test

import (
	"errors"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

// Durations for the shared suite. Leases and windows stay at 50ms or more
// so Redis's millisecond expiry is reliable; waits are generous multiples.
const (
	shortTTL = 60 * time.Millisecond
	longTTL  = 10 * time.Second
	expired  = 150 * time.Millisecond // comfortably past shortTTL
	deliver  = 2 * time.Second        // how long a published message may take
)

// runSuite checks the bot.Coordinator contract. newCoord returns a fresh
// coordinator that shares nothing with the others it returns and is closed
// when the test ends.
func runSuite(t *testing.T, newCoord func(t *testing.T) bot.Coordinator) {
	tests := []struct {
		name string
		run  func(t *testing.T, c bot.Coordinator)
	}{
		{"TryLockIsExclusive", testTryLockIsExclusive},
		{"ExpiredLeaseCanBeTaken", testExpiredLeaseCanBeTaken},
		{"RefreshExtends", testRefreshExtends},
		{"ReleaseFreesKey", testReleaseFreesKey},
		{"LockWaitsForRelease", testLockWaitsForRelease},
		{"LockWaitsForExpiry", testLockWaitsForExpiry},
		{"LockHonoursContext", testLockHonoursContext},
		{"ConcurrentLockersNeverOverlap", testConcurrentLockers},
		{"InvalidTTL", testInvalidTTL},
		{"AllowLimitsPerWindow", testAllowLimitsPerWindow},
		{"AllowWindowSlides", testAllowWindowSlides},
		{"AllowKeysAreIndependent", testAllowKeysAreIndependent},
		{"PublishReachesEverySubscriber", testPublishFanOut},
		{"UnsubscribeClosesChannel", testUnsubscribeClosesChannel},
		{"ContextEndClosesSubscription", testContextEndClosesSubscription},
		{"Ping", testPing},
		{"CloseIsIdempotentAndEndsSubscriptions", testClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newCoord(t))
		})
	}
}

func mustLock(t *testing.T, c bot.Coordinator, key string, ttl time.Duration) bot.Lock {
	t.Helper()
	l, err := c.TryLock(t.Context(), key, ttl)
	if err != nil {
		t.Fatalf("TryLock(%q): %v", key, err)
	}
	return l
}

func wantHeld(t *testing.T, c bot.Coordinator, key string) {
	t.Helper()
	if _, err := c.TryLock(t.Context(), key, longTTL); !errors.Is(err, bot.ErrLockHeld) {
		t.Fatalf("TryLock(%q) = %v, want ErrLockHeld", key, err)
	}
}
