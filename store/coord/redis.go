package coord

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/redis/go-redis/v9"
)

// DefaultPrefix starts every key and channel name Quita uses in Redis.
const DefaultPrefix = "quita:"

// Redis is the Coordinator shared by several Quita instances through one
// Redis server (5.0 or later: the rate script reads the server's clock).
// It is safe for concurrent use.
type Redis struct {
	client  *redis.Client
	prefix  string
	closed  atomic.Bool
	dropped atomic.Uint64

	mu   sync.Mutex
	subs map[*redisSub]struct{}

	closeOnce sync.Once
	closeErr  error
}

// RedisOption adjusts a Redis coordinator.
type RedisOption func(*Redis)

// WithPrefix replaces DefaultPrefix, so that parallel test runs, or two
// deployments sharing a server, keep to their own keys and channels. The
// prefix is used as given; end it with ":" to keep keys readable.
func WithPrefix(prefix string) RedisOption {
	return func(r *Redis) { r.prefix = prefix }
}

// NewRedis connects to the server at url (redis:// or rediss://, as
// redis.ParseURL reads it) and pings it, so a wrong URL fails at start-up.
func NewRedis(ctx context.Context, url string, opts ...RedisOption) (*Redis, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		// net/url's errors quote the whole URL, password included; keep
		// only the reason so the secret stays out of logs.
		if ue := (*neturl.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("coord: parse redis url: %w", err)
	}
	r := NewRedisFromClient(redis.NewClient(o), opts...)
	if err := r.Ping(ctx); err != nil {
		_ = r.client.Close()
		return nil, err
	}
	return r, nil
}

// NewRedisFromClient wraps an existing client without pinging it. The
// coordinator takes the client over: Close closes it.
func NewRedisFromClient(client *redis.Client, opts ...RedisOption) *Redis {
	r := &Redis{client: client, prefix: DefaultPrefix, subs: make(map[*redisSub]struct{})}
	for _, opt := range opts {
		opt(r)
	}
	return r
}

// Prefix reports the prefix of every key and channel this coordinator uses.
func (r *Redis) Prefix() string { return r.prefix }

func (r *Redis) lockKey(key string) string    { return r.prefix + "lock:" + key }
func (r *Redis) rateKey(key string) string    { return r.prefix + "rate:" + key }
func (r *Redis) channelName(ch string) string { return r.prefix + ch }

// Compare-and-act scripts: they touch the key only while it still holds
// the caller's token, so a lock that expired and was taken by someone else
// is neither extended nor deleted.
var (
	refreshScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)

	releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)
)

// rateScript is the sliding-window log of Allow, run atomically: a sorted
// set of accepted events scored by the server's clock in microseconds.
// Events at or before now-window are removed; the event is added only when
// fewer than limit remain. The key expires a window after the last
// accepted event, so idle keys leave nothing behind.
//
// KEYS[1] the window; ARGV[1] window in µs; ARGV[2] limit; ARGV[3] a
// random member so that events in the same microsecond stay distinct.
var rateScript = redis.NewScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - window)
if redis.call("ZCARD", KEYS[1]) >= tonumber(ARGV[2]) then
	return 0
end
redis.call("ZADD", KEYS[1], now, ARGV[3])
redis.call("PEXPIRE", KEYS[1], math.ceil(window / 1000))
return 1`)

// TryLock sets the lock key to a random token with SET NX PX, and returns
// bot.ErrLockHeld when the key is already set.
func (r *Redis) TryLock(ctx context.Context, key string, ttl time.Duration) (bot.Lock, error) {
	if err := checkTTL(ttl); err != nil {
		return nil, err
	}
	if r.closed.Load() {
		return nil, ErrClosed
	}
	// go-redis may still send a command on a cancelled context; a caller
	// that has given up must not end up holding a lease it never learns of.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("coord: try lock %q: %w", key, err)
	}
	token := newToken()
	ok, err := r.client.SetNX(ctx, r.lockKey(key), token, ttl).Result()
	if err != nil {
		return nil, fmt.Errorf("coord: try lock %q: %w", key, err)
	}
	if !ok {
		return nil, bot.ErrLockHeld
	}
	return &redisLock{r: r, key: key, token: token}, nil
}

// Lock waits until key can be taken for ttl or ctx ends. An error other
// than bot.ErrLockHeld (Redis unreachable, say) ends the wait at once.
func (r *Redis) Lock(ctx context.Context, key string, ttl time.Duration) (bot.Lock, error) {
	return waitForLock(ctx, key, func() (bot.Lock, error) { return r.TryLock(ctx, key, ttl) })
}

type redisLock struct {
	r     *Redis
	key   string
	token string
}

// Refresh extends the lease with PEXPIRE if the key still holds this
// lock's token, and returns bot.ErrLockHeld if it does not.
func (l *redisLock) Refresh(ctx context.Context, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return err
	}
	n, err := refreshScript.Run(ctx, l.r.client, []string{l.r.lockKey(l.key)}, l.token, ttl.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("coord: refresh lock %q: %w", l.key, err)
	}
	if n == 0 {
		return bot.ErrLockHeld
	}
	return nil
}

// Release deletes the key if it still holds this lock's token.
func (l *redisLock) Release(ctx context.Context) error {
	if err := releaseScript.Run(ctx, l.r.client, []string{l.r.lockKey(l.key)}, l.token).Err(); err != nil {
		return fmt.Errorf("coord: release lock %q: %w", l.key, err)
	}
	return nil
}

// Allow reports whether one more event under key fits in limit events per
// sliding window, and records it when it does. The window is measured by
// the Redis server's clock, so instances with skewed clocks agree.
func (r *Redis) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	if err := checkWindow(window); err != nil {
		return false, err
	}
	if r.closed.Load() {
		return false, ErrClosed
	}
	if limit <= 0 {
		return false, nil
	}
	n, err := rateScript.Run(ctx, r.client, []string{r.rateKey(key)}, window.Microseconds(), limit, newToken()).Int()
	if err != nil {
		return false, fmt.Errorf("coord: allow %q: %w", key, err)
	}
	return n == 1, nil
}

// Publish sends payload to the subscribers of channel on every instance.
func (r *Redis) Publish(ctx context.Context, channel string, payload []byte) error {
	if r.closed.Load() {
		return ErrClosed
	}
	if err := r.client.Publish(ctx, r.channelName(channel), payload).Err(); err != nil {
		return fmt.Errorf("coord: publish %q: %w", channel, err)
	}
	return nil
}

// Dropped reports how many messages have been dropped because a
// subscriber's buffer was full.
func (r *Redis) Dropped() uint64 { return r.dropped.Load() }

// Ping reports whether the Redis server answers.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("coord: ping redis: %w", err)
	}
	return nil
}

// Close closes every subscription, then the client. Calling it again
// returns the first call's result.
func (r *Redis) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed.Store(true) // under mu, so Subscribe cannot register after the snapshot
		subs := make([]*redisSub, 0, len(r.subs))
		for s := range r.subs {
			subs = append(subs, s)
		}
		r.mu.Unlock()
		for _, s := range subs {
			s.close()
		}
		if err := r.client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
			r.closeErr = fmt.Errorf("coord: close redis: %w", err)
		}
	})
	return r.closeErr
}
