package coord

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/quitabot/quita/bot"
)

// SubscriptionBuffer is how many undelivered messages one subscription
// holds before further messages for it are dropped.
const SubscriptionBuffer = 64

// ErrClosed is returned by a coordinator's methods after Close.
var ErrClosed = errors.New("coord: coordinator closed")

// Backoff bounds for Lock's polling. They are small because leases are
// short and a waiting conversation actor should resume promptly.
const (
	minBackoff = 2 * time.Millisecond
	maxBackoff = 64 * time.Millisecond
)

// Open returns the coordinator configured by redisURL: the in-process
// Memory when it is empty, otherwise a Redis coordinator connected to it.
func Open(ctx context.Context, redisURL string) (bot.Coordinator, error) {
	if redisURL == "" {
		return NewMemory(), nil
	}
	r, err := NewRedis(ctx, redisURL)
	if err != nil {
		// Return a nil interface, not a typed nil *Redis.
		return nil, err
	}
	return r, nil
}

// newToken returns a random lease token (128 bits).
func newToken() string { return rand.Text() }

// checkTTL rejects lease durations Redis cannot express (PX takes whole
// milliseconds and refuses zero); Memory applies the same rule so both
// behave alike.
func checkTTL(ttl time.Duration) error {
	if ttl < time.Millisecond {
		return fmt.Errorf("coord: lease ttl %v is shorter than 1ms", ttl)
	}
	return nil
}

// checkWindow rejects rate windows shorter than a millisecond.
func checkWindow(window time.Duration) error {
	if window < time.Millisecond {
		return fmt.Errorf("coord: rate window %v is shorter than 1ms", window)
	}
	return nil
}

// waitForLock calls try until it returns something other than
// bot.ErrLockHeld, sleeping a jittered, doubling delay between attempts,
// or until ctx ends.
func waitForLock(ctx context.Context, key string, try func() (bot.Lock, error)) (bot.Lock, error) {
	delay := minBackoff
	for {
		l, err := try()
		if !errors.Is(err, bot.ErrLockHeld) {
			return l, err
		}
		// Jitter in [delay/2, 3*delay/2) keeps waiters from polling in step.
		timer := time.NewTimer(delay/2 + mrand.N(delay))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("coord: lock %q: %w", key, ctx.Err())
		case <-timer.C:
		}
		delay = min(2*delay, maxBackoff)
	}
}
