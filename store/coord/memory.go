package coord

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quitabot/quita/bot"
)

// sweepEvery is how many lock and rate operations pass between sweeps of
// expired leases and idle rate windows, so keys that are never used again
// do not stay in memory for good.
const sweepEvery = 1024

// Memory is the in-process Coordinator for a single Quita instance. It is
// safe for concurrent use; the zero value is not ready, use NewMemory.
//
// Memory never blocks on I/O, so it consults ctx only where it would start
// something: TryLock, Lock, Allow, Publish and Subscribe fail when ctx has
// already ended.
type Memory struct {
	now     func() time.Time // replaced in tests; time.Now keeps a monotonic reading
	dropped atomic.Uint64

	mu     sync.Mutex
	closed bool
	ops    int // lock and rate operations since the last sweep
	leases map[string]memLease
	rates  map[string]*memWindow
	subs   map[string]map[*memSub]struct{}
}

type memLease struct {
	token   string
	expires time.Time
}

// memWindow is one key's sliding-window log: the times of accepted events,
// oldest first.
type memWindow struct {
	span   time.Duration
	events []time.Time
}

type memSub struct {
	ch     chan []byte
	closed bool
	stop   func() bool // deregisters the ctx watcher
}

// NewMemory returns an empty in-process coordinator.
func NewMemory() *Memory {
	return &Memory{
		now:    time.Now,
		leases: make(map[string]memLease),
		rates:  make(map[string]*memWindow),
		subs:   make(map[string]map[*memSub]struct{}),
	}
}

// TryLock takes key for ttl if no unexpired lease holds it, and returns
// bot.ErrLockHeld otherwise.
func (m *Memory) TryLock(ctx context.Context, key string, ttl time.Duration) (bot.Lock, error) {
	if err := checkTTL(ttl); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("coord: try lock %q: %w", key, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	m.tick()
	now := m.now()
	if l, ok := m.leases[key]; ok && now.Before(l.expires) {
		return nil, bot.ErrLockHeld
	}
	token := newToken()
	m.leases[key] = memLease{token: token, expires: now.Add(ttl)}
	return &memLock{m: m, key: key, token: token}, nil
}

// Lock waits until key can be taken for ttl or ctx ends.
func (m *Memory) Lock(ctx context.Context, key string, ttl time.Duration) (bot.Lock, error) {
	return waitForLock(ctx, key, func() (bot.Lock, error) { return m.TryLock(ctx, key, ttl) })
}

type memLock struct {
	m     *Memory
	key   string
	token string
}

// Refresh extends the lease to ttl from now, or returns bot.ErrLockHeld
// when it has expired or another owner holds the key.
func (l *memLock) Refresh(_ context.Context, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return err
	}
	m := l.m
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	cur, ok := m.leases[l.key]
	if !ok || cur.token != l.token || !now.Before(cur.expires) {
		return bot.ErrLockHeld
	}
	m.leases[l.key] = memLease{token: l.token, expires: now.Add(ttl)}
	return nil
}

// Release removes the lease if it is still this lock's own.
func (l *memLock) Release(context.Context) error {
	m := l.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.leases[l.key]; ok && cur.token == l.token {
		delete(m.leases, l.key)
	}
	return nil
}

// Allow reports whether one more event under key fits in limit events per
// sliding window, and records it when it does. See the package comment for
// the exact boundary.
func (m *Memory) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	if err := checkWindow(window); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("coord: allow %q: %w", key, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false, ErrClosed
	}
	if limit <= 0 {
		return false, nil
	}
	m.tick()
	now := m.now()
	w := m.rates[key]
	if w == nil {
		w = &memWindow{}
		m.rates[key] = w
	}
	w.span = window
	w.prune(now)
	if len(w.events) >= limit {
		return false, nil
	}
	w.events = append(w.events, now)
	return true, nil
}

// prune drops the events that no longer count at now: those at or before
// now-span.
func (w *memWindow) prune(now time.Time) {
	cutoff := now.Add(-w.span)
	i := 0
	for i < len(w.events) && !w.events[i].After(cutoff) {
		i++
	}
	w.events = w.events[i:]
}

// tick counts an operation and sweeps every sweepEvery operations.
// m.mu must be held.
func (m *Memory) tick() {
	m.ops++
	if m.ops < sweepEvery {
		return
	}
	m.ops = 0
	now := m.now()
	for k, l := range m.leases {
		if !now.Before(l.expires) {
			delete(m.leases, k)
		}
	}
	for k, w := range m.rates {
		if w.prune(now); len(w.events) == 0 {
			delete(m.rates, k)
		}
	}
}

// Publish hands a copy of payload to every current subscriber of channel
// without waiting: a subscriber whose buffer is full misses the message,
// which Dropped counts.
func (m *Memory) Publish(ctx context.Context, channel string, payload []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("coord: publish %q: %w", channel, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	for s := range m.subs[channel] {
		// Each subscriber gets its own copy, as it would from Redis, so
		// neither the publisher nor another subscriber can change it.
		select {
		case s.ch <- append([]byte(nil), payload...):
		default:
			m.dropped.Add(1)
		}
	}
	return nil
}

// Subscribe delivers the messages published on channel after it returns,
// through a buffer of SubscriptionBuffer, until ctx ends, cancel is called
// or the Memory is closed; then the channel is closed. Messages already
// buffered can still be read after that.
func (m *Memory) Subscribe(ctx context.Context, channel string) (<-chan []byte, func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("coord: subscribe %q: %w", channel, err)
	}
	s := &memSub{ch: make(chan []byte, SubscriptionBuffer)}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, nil, ErrClosed
	}
	if m.subs[channel] == nil {
		m.subs[channel] = make(map[*memSub]struct{})
	}
	m.subs[channel][s] = struct{}{}
	m.mu.Unlock()

	stop := context.AfterFunc(ctx, func() { m.unsubscribe(channel, s) })
	m.mu.Lock()
	s.stop = stop
	m.mu.Unlock()
	cancel := func() {
		stop()
		m.unsubscribe(channel, s)
	}
	return s.ch, cancel, nil
}

// unsubscribe removes s and closes its channel once.
func (m *Memory) unsubscribe(channel string, s *memSub) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closeSub(channel, s)
}

// closeSub removes s from channel and closes it. m.mu must be held.
func (m *Memory) closeSub(channel string, s *memSub) {
	if s.closed {
		return
	}
	s.closed = true
	close(s.ch)
	if s.stop != nil {
		s.stop()
	}
	delete(m.subs[channel], s)
	if len(m.subs[channel]) == 0 {
		delete(m.subs, channel)
	}
}

// Dropped reports how many messages have been dropped because a
// subscriber's buffer was full.
func (m *Memory) Dropped() uint64 { return m.dropped.Load() }

// Ping always succeeds: there is nothing to reach.
func (m *Memory) Ping(context.Context) error { return nil }

// Close closes every subscription and makes further calls fail with
// ErrClosed. Leases and rate windows are forgotten. Calling it again does
// nothing.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	for channel, subs := range m.subs {
		for s := range subs {
			m.closeSub(channel, s)
		}
	}
	clear(m.leases)
	clear(m.rates)
	return nil
}
