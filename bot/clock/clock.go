// Package clock provides the service's clocks: the real one, a manual one
// for tests and a forward-only offset clock the simulator moves. It imports
// only the standard library.
package clock

import (
	"fmt"
	"sync"
	"time"
)

// Real is the wall clock.
type Real struct{}

// Now returns the current wall-clock time.
func (Real) Now() time.Time { return time.Now() }

// Manual is a frozen clock that only moves when told to; tests use it so
// golden files stay stable.
type Manual struct {
	mu  sync.Mutex
	now time.Time
}

// NewManual returns a manual clock set to start.
func NewManual(start time.Time) *Manual { return &Manual{now: start} }

// Now returns the clock's time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Set moves the clock to t; moving backwards is refused because reminders
// and leases assume time never runs back.
func (m *Manual) Set(t time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.Before(m.now) {
		return fmt.Errorf("clock: %s is before the current time %s", t.Format(time.RFC3339), m.now.Format(time.RFC3339))
	}
	m.now = t
	return nil
}

// Advance moves the clock forward by d (negative d is ignored).
func (m *Manual) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	m.mu.Lock()
	m.now = m.now.Add(d)
	m.mu.Unlock()
}

// Offset is the wall clock plus a forward-only offset. The simulator uses it
// so time keeps flowing naturally while a tester can jump ahead to a due
// date; it can never be moved back.
type Offset struct {
	mu     sync.Mutex
	offset time.Duration
	wall   func() time.Time
}

// NewOffset returns an offset clock over the wall clock with no offset.
func NewOffset() *Offset { return &Offset{wall: time.Now} }

// Now returns wall time plus the offset.
func (o *Offset) Now() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.wall().Add(o.offset)
}

// Set moves the clock so that Now is t; it refuses to go backwards.
func (o *Offset) Set(t time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.wall().Add(o.offset)
	if t.Before(now) {
		return fmt.Errorf("clock: %s is before the current time %s; the clock only moves forward", t.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	o.offset += t.Sub(now)
	return nil
}
