package coord_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

func testTryLockIsExclusive(t *testing.T, c bot.Coordinator) {
	mustLock(t, c, "conv:1", longTTL)
	wantHeld(t, c, "conv:1")
	mustLock(t, c, "conv:2", longTTL) // another key is unaffected
}

func testExpiredLeaseCanBeTaken(t *testing.T, c bot.Coordinator) {
	ctx := t.Context()
	old := mustLock(t, c, "k", shortTTL)
	time.Sleep(expired)
	mustLock(t, c, "k", longTTL)

	if err := old.Refresh(ctx, longTTL); !errors.Is(err, bot.ErrLockHeld) {
		t.Fatalf("Refresh of a lost lease = %v, want ErrLockHeld", err)
	}
	if err := old.Release(ctx); err != nil {
		t.Fatalf("Release of a lost lease = %v, want nil", err)
	}
	wantHeld(t, c, "k") // the newer owner's lease survived both
}

func testRefreshExtends(t *testing.T, c bot.Coordinator) {
	ctx := t.Context()
	l := mustLock(t, c, "k", 200*time.Millisecond)
	if err := l.Refresh(ctx, longTTL); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	time.Sleep(250 * time.Millisecond) // past the original lease
	wantHeld(t, c, "k")
	if err := l.Refresh(ctx, longTTL); err != nil {
		t.Fatalf("second Refresh: %v", err)
	}

	// A lease that simply expired, with nobody taking it, is lost too.
	gone := mustLock(t, c, "gone", shortTTL)
	time.Sleep(expired)
	if err := gone.Refresh(ctx, longTTL); !errors.Is(err, bot.ErrLockHeld) {
		t.Fatalf("Refresh after expiry = %v, want ErrLockHeld", err)
	}
}

func testReleaseFreesKey(t *testing.T, c bot.Coordinator) {
	ctx := t.Context()
	l := mustLock(t, c, "k", longTTL)
	if err := l.Release(ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	if err := l.Refresh(ctx, longTTL); !errors.Is(err, bot.ErrLockHeld) {
		t.Fatalf("Refresh after Release = %v, want ErrLockHeld", err)
	}
	next := mustLock(t, c, "k", longTTL)
	if err := l.Release(ctx); err != nil { // stale handle: must not free next
		t.Fatalf("stale Release: %v", err)
	}
	wantHeld(t, c, "k")
	if err := next.Release(ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
}

// lockAsync runs c.Lock in a goroutine and reports its result.
func lockAsync(ctx context.Context, c bot.Coordinator, key string) <-chan error {
	got := make(chan error, 1)
	go func() {
		_, err := c.Lock(ctx, key, longTTL)
		got <- err
	}()
	return got
}

func testLockWaitsForRelease(t *testing.T, c bot.Coordinator) {
	holder := mustLock(t, c, "k", longTTL)
	got := lockAsync(t.Context(), c, "k")
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-got:
		t.Fatalf("Lock returned %v while the key was held", err)
	default:
	}
	if err := holder.Release(t.Context()); err != nil {
		t.Fatalf("Release: %v", err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("Lock: %v", err)
		}
	case <-time.After(deliver):
		t.Fatal("Lock did not return after the key was released")
	}
	wantHeld(t, c, "k")
}

func testLockWaitsForExpiry(t *testing.T, c bot.Coordinator) {
	mustLock(t, c, "k", shortTTL) // never released
	ctx, cancel := context.WithTimeout(t.Context(), deliver)
	defer cancel()
	if _, err := c.Lock(ctx, "k", longTTL); err != nil {
		t.Fatalf("Lock after the holder's lease expired: %v", err)
	}
}

func testLockHonoursContext(t *testing.T, c bot.Coordinator) {
	mustLock(t, c, "k", longTTL)

	ctx, cancel := context.WithTimeout(t.Context(), 80*time.Millisecond)
	defer cancel()
	if _, err := c.Lock(ctx, "k", longTTL); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock with a deadline = %v, want DeadlineExceeded", err)
	}

	ctx, cancel = context.WithCancel(t.Context())
	got := lockAsync(ctx, c, "k")
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-got:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Lock after cancel = %v, want Canceled", err)
		}
	case <-time.After(deliver):
		t.Fatal("Lock did not return after its context was cancelled")
	}

	// A cancelled context never acquires, even a free key.
	if _, err := c.Lock(ctx, "free", longTTL); err == nil {
		t.Fatal("Lock with a cancelled context acquired a free key")
	}
	mustLock(t, c, "free", longTTL)
}

func testConcurrentLockers(t *testing.T, c bot.Coordinator) {
	const workers, rounds = 6, 4
	var (
		inside  atomic.Int32
		counter int // guarded by the coordinator's lock only
		wg      sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for range workers {
		wg.Go(func() {
			for range rounds {
				l, err := c.Lock(ctx, "counter", longTTL)
				if err != nil {
					t.Errorf("Lock: %v", err)
					return
				}
				if n := inside.Add(1); n != 1 {
					t.Errorf("%d holders at once", n)
				}
				v := counter
				time.Sleep(time.Millisecond) // widen the window for a lost update
				counter = v + 1
				inside.Add(-1)
				if err := l.Release(ctx); err != nil {
					t.Errorf("Release: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if counter != workers*rounds {
		t.Fatalf("counter = %d, want %d", counter, workers*rounds)
	}
}

func testInvalidTTL(t *testing.T, c bot.Coordinator) {
	ctx := t.Context()
	for _, ttl := range []time.Duration{0, -time.Second, time.Microsecond} {
		if _, err := c.TryLock(ctx, "k", ttl); err == nil {
			t.Errorf("TryLock with ttl %v succeeded", ttl)
		}
	}
	l := mustLock(t, c, "k", longTTL)
	if err := l.Refresh(ctx, 0); err == nil || errors.Is(err, bot.ErrLockHeld) {
		t.Errorf("Refresh(0) = %v, want a validation error", err)
	}
	if _, err := c.Allow(ctx, "r", 1, 0); err == nil {
		t.Error("Allow with a zero window succeeded")
	}
}
