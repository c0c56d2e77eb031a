package bot

import (
	"context"
	"errors"
	"time"
)

// ErrLockHeld is returned by Coordinator.TryLock when another holder owns
// the key, and by Lock.Refresh when the lease was lost.
var ErrLockHeld = errors.New("lock held by another owner")

// Coordinator is what several Quita instances share to stay out of each
// other's way: leased locks, rate limits and pub/sub. The in-process
// implementation serves a single instance; the Redis one serves many.
type Coordinator interface {
	// TryLock takes key for ttl if nobody holds it. It returns ErrLockHeld
	// when somebody does.
	TryLock(ctx context.Context, key string, ttl time.Duration) (Lock, error)
	// Lock waits until key can be taken for ttl or ctx ends.
	Lock(ctx context.Context, key string, ttl time.Duration) (Lock, error)
	// Allow reports whether one more event under key fits in limit events
	// per window (a sliding or fixed window; implementations document which).
	Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error)
	// Publish sends payload to every current subscriber of channel.
	Publish(ctx context.Context, channel string, payload []byte) error
	// Subscribe delivers messages published on channel until ctx ends or
	// the returned cancel is called; then the channel is closed.
	Subscribe(ctx context.Context, channel string) (<-chan []byte, func(), error)
	// Ping reports whether the backing service is reachable.
	Ping(ctx context.Context) error
	// Close releases the coordinator's resources.
	Close() error
}

// Lock is a held lease on a key.
type Lock interface {
	// Refresh extends the lease to ttl from now; ErrLockHeld if it was lost.
	Refresh(ctx context.Context, ttl time.Duration) error
	// Release gives the key up; releasing a lost lock is not an error and
	// never removes another owner's lease.
	Release(ctx context.Context) error
}
