package coord_test

import (
	"context"
	"crypto/rand"
	"os"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store/coord"
	"github.com/redis/go-redis/v9"
)

// redisURL returns QUITA_TEST_REDIS_URL or skips the test.
func redisURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("QUITA_TEST_REDIS_URL")
	if url == "" {
		t.Skip("QUITA_TEST_REDIS_URL not set")
	}
	return url
}

// newRedis returns a coordinator on its own random prefix, and a separate
// client to inspect the server with. Both are closed, and every key under
// the prefix deleted, when the test ends.
func newRedis(t *testing.T) (*coord.Redis, *redis.Client) {
	t.Helper()
	opt, err := redis.ParseURL(redisURL(t))
	if err != nil {
		t.Fatalf("QUITA_TEST_REDIS_URL: %v", err)
	}
	prefix := "quita:test:" + rand.Text()[:12] + ":"
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	c, err := coord.NewRedis(ctx, redisURL(t), coord.WithPrefix(prefix))
	if err != nil {
		t.Fatalf("NewRedis: %v", err)
	}
	inspect := redis.NewClient(opt)
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		iter := inspect.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			inspect.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("cleaning up %s*: %v", prefix, err)
		}
		_ = inspect.Close()
	})
	return c, inspect
}

func TestRedis(t *testing.T) {
	redisURL(t)
	runSuite(t, func(t *testing.T) bot.Coordinator {
		c, _ := newRedis(t)
		return c
	})
}

func TestRedisKeyLayout(t *testing.T) {
	c, inspect := newRedis(t)
	ctx := t.Context()
	p := c.Prefix()

	l, err := c.TryLock(ctx, "conv:7", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if pttl := inspect.PTTL(ctx, p+"lock:conv:7").Val(); pttl <= 0 || pttl > time.Minute {
		t.Fatalf("PTTL of %slock:conv:7 = %v, want (0, 1m]", p, pttl)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if n := inspect.Exists(ctx, p+"lock:conv:7").Val(); n != 0 {
		t.Fatal("Release left the lock key behind")
	}

	if ok, err := c.Allow(ctx, "phone", 5, time.Minute); !ok || err != nil {
		t.Fatalf("Allow = %v, %v", ok, err)
	}
	if n := inspect.ZCard(ctx, p+"rate:phone").Val(); n != 1 {
		t.Fatalf("ZCARD of %srate:phone = %d, want 1", p, n)
	}
	if pttl := inspect.PTTL(ctx, p+"rate:phone").Val(); pttl <= 0 || pttl > time.Minute {
		t.Fatalf("PTTL of %srate:phone = %v, want (0, 1m]", p, pttl)
	}

	ch, cancel, err := c.Subscribe(ctx, "events")
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	if err := inspect.Publish(ctx, p+"events", "raw").Err(); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, ch); got != "raw" {
		t.Fatalf("got %q from %sevents", got, p)
	}
}

// TestRedisLockScriptsCompareTokens sets the key behind a lock's back, as
// a newer owner would after the lease expired.
func TestRedisLockScriptsCompareTokens(t *testing.T) {
	c, inspect := newRedis(t)
	ctx := t.Context()
	key := c.Prefix() + "lock:k"
	l, err := c.TryLock(ctx, "k", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := inspect.Set(ctx, key, "someone-else", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if err := l.Refresh(ctx, time.Hour); err != bot.ErrLockHeld {
		t.Fatalf("Refresh of a taken lease = %v, want ErrLockHeld", err)
	}
	if pttl := inspect.PTTL(ctx, key).Val(); pttl > time.Minute {
		t.Fatalf("Refresh extended another owner's lease to %v", pttl)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if got := inspect.Get(ctx, key).Val(); got != "someone-else" {
		t.Fatalf("after Release the key holds %q, want the other owner's token", got)
	}
}

func TestRedisDefaultPrefix(t *testing.T) {
	opt, err := redis.ParseURL(redisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := coord.NewRedisFromClient(redis.NewClient(opt))
	defer c.Close()
	if c.Prefix() != coord.DefaultPrefix || coord.DefaultPrefix != "quita:" {
		t.Fatalf("Prefix() = %q, want quita:", c.Prefix())
	}
}

func TestOpenRedis(t *testing.T) {
	c, err := coord.Open(t.Context(), redisURL(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer c.Close()
	if _, ok := c.(*coord.Redis); !ok {
		t.Fatalf("Open(url) = %T, want *coord.Redis", c)
	}
}
