package bot

import (
	"context"
	"errors"
	"time"
)

// WithLease runs fn while holding key on co, refreshing the lease every
// ttl/3 so a long run keeps it, and releasing it after. When another
// instance holds key it returns false without running fn. When the lease
// is lost mid-run, fn's context is cancelled (another instance carries on)
// and lost is called with the error. Any other error taking the lock is
// returned. Used by every once-at-a-time job (reminder pass, retention).
func WithLease(ctx context.Context, co Coordinator, key string, ttl time.Duration, lost func(error), fn func(context.Context)) (bool, error) {
	lock, err := co.TryLock(ctx, key, ttl)
	if errors.Is(err, ErrLockHeld) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := lock.Refresh(runCtx, ttl); err != nil {
					lost(err)
					cancel()
					return
				}
			}
		}
	}()
	fn(runCtx)
	close(done)
	_ = lock.Release(context.WithoutCancel(ctx))
	return true, nil
}
